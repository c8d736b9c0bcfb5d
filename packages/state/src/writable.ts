import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SedaError } from '@seda/core';
import { partitionDir } from './layout.js';

/**
 * Fails with `SEDA_STATE_UNWRITABLE` unless a file can be created in `dir`
 * (read-only mount, permissions, full disk): checked once at open, so a stage
 * refuses to start rather than failing at its first commit. Probed by
 * writing, since permission bits say nothing for root or a read-only mount.
 */
export function checkWritable(dir: string): void {
  const probe = join(dir, `.seda-write-probe-${process.pid}`);
  try {
    writeFileSync(probe, 'x');
    rmSync(probe, { force: true });
  } catch (err) {
    throw new SedaError(
      'SEDA_STATE_UNWRITABLE',
      `state directory ${dir} is not writable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); make it writable (permissions, a read-only mount, a full disk) or pass another --state-dir`,
      { cause: err },
    );
  }
}

/**
 * A failed state write (full disk, I/O error). The stage stops without
 * committing the batch: its state and offset stay at the last complete
 * write, so a restart (with space) replays from there, losing nothing.
 */
export function writeError(pdir: string, nextOffset: number, err: unknown): SedaError {
  return new SedaError(
    'SEDA_STATE_WRITE',
    `cannot write state to ${pdir} (${(err as Error).message}); the batch up to offset ${nextOffset} was not committed and will be processed again after a restart: free space or fix the disk, then restart`,
    { cause: err },
  );
}

/**
 * A corrupt partition database, with the command that resets that partition
 * (its next start rebuilds it from the changelog, or from the input).
 */
export function withRecovery(err: unknown, root: string, topic: string, partition: number, stage: string | undefined): unknown {
  const e = err as SedaError;
  // A file LevelDB's manifest names is gone or unreadable: as damaged as corruption.
  const unreadable = e.code === 'SEDA_STATE_OPEN' && /IO error/.test(e.message);
  if (e.code !== 'SEDA_STATE_CORRUPT' && !unreadable) return err;
  const what = unreadable ? `state directory ${partitionDir(root, topic, partition)} is unreadable (${e.message.replace(/^cannot open state directory [^:]*: /, '')})` : e.message.replace(/; seda will not start.*$/, '');
  return new SedaError(
    'SEDA_STATE_CORRUPT',
    `${what}; seda will not start it from empty on its own. To rebuild it (from the changelog if the stage has one, else from the input): \`seda state ${stage ?? '<stage>'} --state-dir ${root} --topic ${topic} --partition ${partition} --reset --yes\`, then start again`,
    { cause: e.cause ?? e },
  );
}
