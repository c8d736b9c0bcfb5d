/**
 * The electric-readings demo (`seda demo`): the ready-made stages as
 * processes on an embedded broker, shown live, then every output checked
 * against ground truth. `@seda/cli` loads this package on `seda demo`.
 */
import { demoOptions, type DemoFlags } from './options.js';
import { runDemo } from './run-demo.js';

export { demoErrorCodes, type DemoErrorCode } from './errors.js';
export { demoOptions, type DemoFlags } from './options.js';
export type { DemoOptions } from './plan.js';
export { runDemo } from './run-demo.js';

/**
 * `seda demo` with its flags: checks them (`SEDA_DEMO_OPTIONS`, every
 * problem at once), runs the demo with `sedaBin` as each stage's `seda`, and
 * resolves with the exit code (0: every check passed; 1: a check failed;
 * 130: interrupted).
 */
export function runDemoCli(flags: DemoFlags, sedaBin: string): Promise<number> {
  return runDemo(demoOptions(flags), sedaBin);
}
