/**
 * Bench: does the windows engine cost more per reading as a run gets longer
 * (issue 16)? The bench's hourly stage's windows (its own spec, and the same
 * count/sum fold) over the LevelDB store, with an in-process stand-in for the
 * Kafka changelog that acknowledges each append on the next turn: the
 * stateful scenario's readings (`reading()`), batches of 1,000 per partition,
 * commits chained per partition with at most PENDING waiting. Not a timed
 * test: it prints CPU s, wall s and RSS per 100k readings.
 *
 *   npx tsc -b && N=1000000 PENDING=32 node bench/dist/scenarios/windows-long.js   # METERS, CACHE (cacheEntries) too
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createWindows, type WindowsEngine } from '@seda/core';
import { openStateStore, type ChangelogIO } from '@seda/state';
import { meterKey, reading, readingsSpec } from '../src/payload.js';
import hourlyAverage from './stages/hourly-average.js';

interface Hour {
  count: number;
  sum: number;
}
type Reading = { key: string; ts: number; kwh: number };

const env = (name: string, fallback: number): number => (process.env[name] === undefined ? fallback : Number(process.env[name]));
const total = env('N', 1_000_000);
const pendingMax = env('PENDING', 8);
const partitions = 8;
const batchSize = 1000;
const spec = readingsSpec(env('METERS', 10_000), partitions);
const windows = hourlyAverage.state?.windows;
if (windows === undefined) throw new Error('bench/scenarios/stages/hourly-average.ts declares no windows');

const dir = join(tmpdir(), `seda-windows-long-${process.pid}`);
rmSync(dir, { recursive: true, force: true });
let changelogOffset = 0;
let changelogRecords = 0;
const changelog: ChangelogIO = {
  topic: 'windows-long-changelog',
  append: (_partition, records) =>
    new Promise((resolve) =>
      setImmediate(() => {
        changelogRecords += records.length;
        resolve((changelogOffset += records.length));
      }),
    ),
  watermarks: async () => ({ low: 0, high: 0 }),
  read: async () => {},
  close: async () => {},
};
const store = await openStateStore({ dir, changelog, cacheEntries: process.env.CACHE === undefined ? undefined : Number(process.env.CACHE) });
let results = 0;
const engines: WindowsEngine<Hour>[] = Array.from({ length: partitions }, () => createWindows<Hour>(windows, { onResult: () => results++, onLateDropped: () => {} }));
const buffers: Reading[][] = Array.from({ length: partitions }, () => []);
const nextOffsets = new Array<number>(partitions).fill(0);
const chains: Promise<void>[] = Array.from({ length: partitions }, () => Promise.resolve());
const pending: Promise<void>[] = [];

/** Runs one partition's batch through its engine, then chains the batch's commit after the partition's previous one. */
async function runBatch(partition: number, records: Reading[]): Promise<void> {
  const batch = store.begin('in', partition);
  const engine = engines[partition];
  engine.bind(batch, partition);
  for (const r of records) {
    engine.savepoint();
    await engine.aggregate(r.key, r.ts, (acc?: Hour) => ({ count: (acc?.count ?? 0) + 1, sum: (acc?.sum ?? 0) + r.kwh }));
  }
  engine.flush();
  const changes = batch.seal();
  const nextOffset = (nextOffsets[partition] += records.length);
  chains[partition] = chains[partition].then(() => store.commit('in', partition, changes, nextOffset));
  pending.push(chains[partition]);
  while (pending.length > pendingMax) await pending.shift();
}

let cpu = process.cpuUsage();
let wall = performance.now();
let cpuTotal = 0;
for (let i = 0; i < total; i++) {
  const r = reading(spec, i);
  buffers[r.partition].push({ key: meterKey(r.meter), ts: r.ts, kwh: r.kwh });
  if (buffers[r.partition].length === batchSize) {
    await runBatch(r.partition, buffers[r.partition]);
    buffers[r.partition] = [];
  }
  if ((i + 1) % 100_000 === 0) {
    const used = process.cpuUsage(cpu);
    const seconds = (used.user + used.system) / 1e6;
    cpuTotal += seconds;
    cpu = process.cpuUsage();
    const now = performance.now();
    console.log(`${(i + 1) / 1000}k cpu ${seconds.toFixed(2)}s wall ${((now - wall) / 1000).toFixed(2)}s rss ${(process.memoryUsage().rss / 1e6).toFixed(0)}MB results ${results}`);
    wall = now;
  }
}
for (let p = 0; p < partitions; p++) if (buffers[p].length > 0) await runBatch(p, buffers[p]);
await Promise.all(pending);
console.log(`total cpu ${cpuTotal.toFixed(2)}s results ${results} changelog records ${changelogRecords} (${(changelogRecords / total).toFixed(2)}/reading)`);
await store.close();
rmSync(dir, { recursive: true, force: true });
