#!/usr/bin/env node
// Loading seda's modules (node-rdkafka, LevelDB, every command) takes a while: a SIGTERM or SIGINT
// arriving meanwhile, before any command could install its own handler, ends the process with 0
// (nothing is connected or open yet, so nothing needs draining) rather than by the signal.
// The listener stays afterwards (removing it could drop a signal already on its way to it):
// a command's own handler (seda run installs one from its start) then handles the signal, and a
// command without one ends by the signal's default action, as it would without this listener.
let loaded = false;
const early = (signal: NodeJS.Signals): void => {
  if (!loaded) process.exit(0);
  if (process.listenerCount(signal) > 1) return;
  process.off('SIGTERM', early);
  process.off('SIGINT', early);
  process.kill(process.pid, signal);
};
process.on('SIGTERM', early);
process.on('SIGINT', early);
const { buildProgram, reportError } = await import('./program.js');
loaded = true;

const program = buildProgram();
program.parseAsync(process.argv).catch((err: unknown) => {
  reportError(err, process.argv.includes('--verbose'));
  process.exitCode = typeof (err as { exitCode?: unknown }).exitCode === 'number' ? (err as { exitCode: number }).exitCode : 1;
});
