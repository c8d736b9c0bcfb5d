/** What {@link onStopSignals} calls. */
export interface StopSignalHandlers {
  /** The first SIGTERM or SIGINT, or the supervisor gone: stop gracefully. */
  stop(signal: NodeJS.Signals): void;
  /** A second signal: exit at once. */
  exitNow(signal: NodeJS.Signals): void;
}

/**
 * Handles SIGTERM and SIGINT: the first one stops gracefully, a second one
 * exits at once. A process started by a supervisor (`SEDA_SUPERVISOR_PID`:
 * `seda run --instances`, `seda demo`) also stops, once, when that one is no
 * longer its parent (even if it died by SIGKILL), rather than linger.
 * Returns how many stop signals came so far.
 */
export function onStopSignals(handlers: StopSignalHandlers, env: NodeJS.ProcessEnv = process.env): () => number {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) handlers.exitNow(signal);
    else handlers.stop(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const supervisor = Number(env.SEDA_SUPERVISOR_PID);
  if (supervisor > 0) {
    const watch = setInterval(() => {
      if (process.ppid === supervisor) return;
      clearInterval(watch); // once: a second "signal" would mean exit at once
      onSignal('SIGTERM');
    }, 1000).unref();
  }
  return () => signals;
}
