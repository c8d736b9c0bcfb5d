// Readings for session-window tests: meters with bursts and idle periods,
// some records delayed (out of order, within grace) so that late records
// bridge sessions; the ground truth computed offline from event times; and
// what a stopped stage's store holds.
import { defineStage, testStage } from '@seda/core';
import { storedWindows } from './readings.js';

const MIN = 60_000;
/** The fixture's session spec: the ground truth below holds for any delay under the grace. */
export const sessionSpec = { gap: 5 * MIN, grace: 5 * MIN, retention: 30 * 24 * 60 * MIN };
const MAX_DELAY = 4.5 * MIN;

export interface SessionRow {
  key: string;
  value: string;
  kwh: number;
  ts: number;
}

/** Deterministic readings in arrival order: per meter, steps of 20 s, 4 min (near the gap) or 12 min (a new session). */
export function sessionReadings(count: number, meters: number): SessionRow[] {
  let seed = 1234;
  const rand = (): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const clock = Array.from({ length: meters }, () => Date.UTC(2026, 0, 1));
  const rows: Array<SessionRow & { arrival: number }> = [];
  for (let i = 0; i < count; i++) {
    const meter = i % meters;
    const r = rand();
    clock[meter] += r < 0.7 ? 20_000 : r < 0.9 ? 4 * MIN : 12 * MIN;
    const ts = clock[meter];
    const kwh = Math.floor(rand() * 40) / 4;
    const arrival = ts + (rand() < 0.15 ? Math.floor(rand() * MAX_DELAY) : 0);
    rows.push({ key: `meter${meter + 1}`, value: JSON.stringify({ kwh, ts }), kwh, ts, arrival });
  }
  rows.sort((a, b) => a.arrival - b.arrival);
  return rows.map(({ arrival: _arrival, ...row }) => row);
}

/** Sessions per meter from event times alone: sorted by time, split where two readings are more than gap apart. */
export function sessionTruth(rows: SessionRow[]): Map<string, { count: number; sum: number }> {
  const byKey = new Map<string, SessionRow[]>();
  for (const r of rows) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
  const truth = new Map<string, { count: number; sum: number }>();
  for (const [key, list] of byKey) {
    list.sort((a, b) => a.ts - b.ts);
    let start = list[0].ts;
    let last = start;
    let agg = { count: 0, sum: 0 };
    for (const r of list) {
      if (r.ts - last > sessionSpec.gap) {
        truth.set(`${key}@${start}`, agg);
        start = r.ts;
        agg = { count: 0, sum: 0 };
      }
      last = r.ts;
      agg.count++;
      agg.sum += r.kwh;
    }
    truth.set(`${key}@${start}`, agg);
  }
  return truth;
}

/** Every session in a stopped stage's LevelDB store. */
export function storedSessions(dir: string, topic: string, partitions: number): Promise<Map<string, { count: number; sum: number }>> {
  return storedWindows(dir, topic, partitions, { session: sessionSpec });
}

/** How many times the fixture's sessions merge over `rows` (run in memory): proof the input bridges sessions. */
export async function bridgingMerges(rows: SessionRow[]): Promise<number> {
  let merges = 0;
  const stage = defineStage({
    name: 'count-merges',
    input: { topic: 'in' },
    state: { windows: { session: sessionSpec } },
    async process(r, ctx) {
      const { ts } = r.value as { ts: number };
      await ctx.windows.aggregate(String(r.key), ts, (n?: number) => (n ?? 0) + 1, (a: number, b: number) => {
        merges++;
        return a + b;
      });
    },
  });
  const t = testStage(stage, { partitions: 4 });
  for (let i = 0; i < rows.length; i += 1000) await t.send(rows.slice(i, i + 1000).map((r) => ({ key: r.key, value: JSON.parse(r.value) as unknown })));
  await t.close();
  return merges;
}
