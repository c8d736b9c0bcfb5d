// windows micro, long: the hourly stage (1 h tumbling, grace 0, retention 2 h, like bench/scenarios/stages/hourly-average.ts)
// over the LevelDB store with an in-process changelog stand-in, readings like the bench (METERS meters, every 15 min of
// event time, in event-time order, partition = meter % 8), batches of 1,000 per partition, commits chained per partition
// with at most PENDING waiting. Prints CPU s, wall s and RSS per 100k readings, to show what grows with run length.
// Usage (after npx tsc -b): N=1000000 PENDING=32 node bench/micro/windows-long.mjs
import { createWindows } from '../../packages/core/dist/src/index.js';
import { openStateStore } from '../../packages/state/dist/src/index.js';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const N = Number(process.env.N ?? 1_000_000), METERS = Number(process.env.METERS ?? 10_000), P = 8, B = 1000, PENDING = Number(process.env.PENDING ?? 8);
const dir = join(tmpdir(), `seda-windows-micro-${process.pid}`);
rmSync(dir, { recursive: true, force: true });
let clOff = 0, clRecords = 0;
const changelog = {
  topic: 'cl',
  append: (p, recs) => new Promise((r) => setImmediate(() => { clRecords += recs.length; r(clOff += recs.length); })),
  watermarks: async () => ({ low: 0, high: 0 }),
  read: async () => {},
  close: async () => {},
};
const store = await openStateStore({ dir, changelog, cacheEntries: process.env.CACHE ? Number(process.env.CACHE) : undefined });
let results = 0;
const engines = [];
for (let p = 0; p < P; p++) engines.push(createWindows({ size: '1h', grace: '0ms', retention: '2h' }, { onResult: () => results++, onLateDropped: () => {} }));
const start = Date.UTC(2024, 0, 1), iv = 15 * 60_000;
const buf = Array.from({ length: P }, () => []);
const offs = new Array(P).fill(0);
const inflight = [];
const chain = Array.from({ length: P }, () => Promise.resolve());
let c0 = process.cpuUsage(), t0 = performance.now(), lastMark = 0;
const prof = [];
async function runBatch(p, recs) {
  const s = store.begin('in', p);
  const e = engines[p];
  e.bind(s, p);
  for (const r of recs) {
    e.savepoint();
    await e.aggregate(r.key, r.ts, (acc) => ({ count: (acc?.count ?? 0) + 1, sum: (acc?.sum ?? 0) + r.kwh }));
  }
  e.flush();
  const cs = s.seal();
  offs[p] += recs.length;
  const off = offs[p];
  chain[p] = chain[p].then(() => store.commit('in', p, cs, off));
  inflight.push(chain[p]);
  while (inflight.length > PENDING) await inflight.shift();
}
for (let i = 0; i < N; i++) {
  const meter = i % METERS, round = Math.floor(i / METERS), p = meter % P;
  buf[p].push({ key: `m${String(meter).padStart(6, '0')}`, ts: start + round * iv, kwh: ((meter * 7 + round * 13) % 100) / 100 });
  if (buf[p].length === B) { await runBatch(p, buf[p]); buf[p] = []; }
  if ((i + 1) % 100_000 === 0) {
    const c = process.cpuUsage(c0); c0 = process.cpuUsage();
    const t = performance.now();
    const line = `${(i + 1) / 1000}k cpu ${((c.user + c.system) / 1e6).toFixed(2)}s wall ${((t - t0) / 1000).toFixed(2)}s rss ${(process.memoryUsage().rss / 1e6).toFixed(0)}MB results ${results}`;
    prof.push((c.user + c.system) / 1e6);
    console.log(line); t0 = t;
  }
}
for (let p = 0; p < P; p++) if (buf[p].length) await runBatch(p, buf[p]);
await Promise.all(inflight);
console.log(`total cpu ${prof.reduce((a, b) => a + b, 0).toFixed(2)}s results ${results} changelog records ${clRecords} (${(clRecords / N).toFixed(2)}/reading)`);
await store.close();
rmSync(dir, { recursive: true, force: true });
