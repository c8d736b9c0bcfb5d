/** Error codes of `seda demo`. */
export const demoErrorCodes = [
  /** The demo's options are invalid. */
  'SEDA_DEMO_OPTIONS',
  /** Another demo runs in the same directory. */
  'SEDA_DEMO_BUSY',
  /** The embedded broker could not be reached. */
  'SEDA_DEMO_BROKER',
  /** A process of the pipeline did not start, or failed. */
  'SEDA_DEMO_PROCESS',
  /** `seda demo` was run where this package is not installed (thrown by @seda/cli). */
  'SEDA_DEMO_UNAVAILABLE',
] as const;

/** A code from {@link demoErrorCodes}. */
export type DemoErrorCode = (typeof demoErrorCodes)[number];
