import { expect } from 'chai';
import { startSeda, waitFor, type SedaProcess } from './process.js';

/**
 * Runs `seda <args>`, SIGKILLs it at random moments `times` times (a new
 * process each time), then lets the last one drain and stops it with SIGTERM.
 * Returns the number of kills.
 */
export async function killRepeatedly(args: string[], env: NodeJS.ProcessEnv, times: number, drained: () => Promise<boolean>): Promise<number> {
  let kills = 0;
  let p: SedaProcess = startSeda(args, { env });
  let rng = 7;
  while (kills < times || !(await drained())) {
    if (kills >= times) {
      await waitFor(drained, 240_000, 'the stage to drain the input', 500).catch(async (err: Error) => {
        throw new Error(`${err.message}\nlast process stderr:\n${p.stderr().slice(-4000)}`);
      });
      break;
    }
    await p.waitForLog((l) => l.msg === 'starting partitions at stored offsets', 60_000, 'assignment');
    rng = (rng * 48271) % 2147483647;
    await new Promise((r) => setTimeout(r, 300 + (rng % 1500)));
    p.kill('SIGKILL');
    await p.exited(10_000);
    kills++;
    p = startSeda(args, { env });
  }
  // The last process may have only just started: stop it once it runs, so it drains and exits 0.
  await p.waitForLog((l) => l.msg === 'stage started', 60_000, 'the last process to start');
  p.kill('SIGTERM');
  expect((await p.exited(60_000)).code).to.equal(0);
  return kills;
}
