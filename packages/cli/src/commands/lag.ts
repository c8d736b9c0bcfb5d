import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { isSedaError, SedaError } from '@seda/core';
import { describeTopic, groupLag, type KafkaProperties, type PartitionLag } from '@seda/kafka';
import { openStateStore, type LevelStateStore } from '@seda/state';
import { connection, withConnection } from '../options.js';

/** `seda lag <group>`: committed (or, with --state-dir, stored) offset, high watermark and lag per partition. */
export function registerLagCommand(program: Command): void {
  withConnection(program.command('lag').description('a consumer group\'s committed offset, high watermark and lag per partition').argument('<group>'))
    .option('--topic <name>', 'only this topic (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option(
      '--state-dir <dir>',
      'a state-mode stage: read the offsets stored with its state (LevelDB) instead of the group\'s commits; the instance-N stores of --instances under it are read too, and a store in use is read from a copy',
    )
    .option('--json', 'print JSON')
    .action(async (group: string, flags: { topic?: string[]; json?: boolean; brokers?: string; kafka?: string[]; stateDir?: string }) => {
      const { brokers, kafka } = connection(flags);
      const rows = flags.stateDir === undefined ? await groupLag(brokers, group, flags.topic, kafka) : await storedLag(brokers, kafka, resolve(flags.stateDir), flags.topic);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(rows)}\n`);
        return;
      }
      process.stdout.write(`topic\tpartition\t${flags.stateDir === undefined ? 'committed' : 'stored'}\thigh\tlag\n`);
      for (const r of rows) process.stdout.write(`${r.topic}\t${r.partition}\t${r.committed < 0 ? '-' : r.committed}\t${r.high}\t${r.lag}\n`);
      process.stdout.write(`total lag: ${rows.reduce((n, r) => n + r.lag, 0)}\n`);
    });
}

/** LevelDB stores under `dir`: `dir` itself, or the `instance-N` stores `seda run --instances` keeps there. */
function storeDirs(dir: string): string[] {
  if (existsSync(join(dir, 'CURRENT'))) return [dir];
  const instances = existsSync(dir) ? readdirSync(dir).filter((d) => /^instance-\d+$/.test(d) && existsSync(join(dir, d, 'CURRENT'))) : [];
  if (instances.length === 0) throw new SedaError('SEDA_STATE_OPEN', `no state store at ${dir}; pass the --state-dir the stage ran with`);
  return instances.map((d) => join(dir, d));
}

/**
 * Opens a store to read; one a live stage holds (LevelDB allows one process)
 * is read from a copy of its files instead (LevelDB recovers a copy like a
 * crashed store: the offsets are those of its last complete write).
 */
async function readOffsets(dir: string): Promise<Array<{ topic: string; partition: number; offset: number }>> {
  let copy: string | undefined;
  let store: LevelStateStore;
  try {
    store = await openStateStore({ dir });
  } catch (err) {
    if (!isSedaError(err, 'SEDA_STATE_LOCKED')) throw err;
    for (let attempt = 1; ; attempt++) {
      copy = mkdtempSync(join(tmpdir(), 'seda-lag-'));
      try {
        cpSync(dir, copy, { recursive: true, filter: (src) => basename(src) !== 'LOCK' });
        break;
      } catch (e) {
        rmSync(copy, { recursive: true, force: true });
        // A compaction removed a file while it was copied: copy again.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw new SedaError('SEDA_STATE_OPEN', `cannot copy the live store ${dir}: ${(e as Error).message}`, { cause: e });
      }
    }
    store = await openStateStore({ dir: copy });
  }
  try {
    return await store.storedOffsets();
  } finally {
    await store.close();
    if (copy !== undefined) rmSync(copy, { recursive: true, force: true });
  }
}

/** Lag from the offsets stored with a stage's state; a partition in several instance stores counts with its highest offset (its latest owner). */
async function storedLag(brokers: string, kafka: KafkaProperties, dir: string, topics: string[] | undefined): Promise<PartitionLag[]> {
  const stored = new Map<string, { topic: string; partition: number; offset: number }>();
  for (const d of storeDirs(dir)) {
    for (const o of await readOffsets(d)) {
      if (topics !== undefined && !topics.includes(o.topic)) continue;
      const key = `${o.topic}\u0000${o.partition}`;
      if ((stored.get(key)?.offset ?? -1) < o.offset) stored.set(key, o);
    }
  }
  const rows: PartitionLag[] = [];
  for (const topic of [...new Set([...stored.values()].map((o) => o.topic))].sort()) {
    for (const p of await describeTopic(brokers, topic, kafka)) {
      const offset = stored.get(`${topic}\u0000${p.partition}`)?.offset;
      const committed = offset ?? -1;
      rows.push({ topic, partition: p.partition, committed, high: p.high, low: p.low, lag: Math.max(0, p.high - (offset ?? p.low)) });
    }
  }
  return rows;
}
