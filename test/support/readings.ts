// Electric readings for state tests: deterministic input, its ground truth per
// (meter, hour), and what a stopped stage's store holds.
import { createWindows, type WindowResult, type WindowSpec } from '@seda/core';
import { openStateStore } from '@seda/state';

/** One hour in ms. */
export const HOUR = 3_600_000;

/** Deterministic readings: 50 meters, several hours of event time, kWh in quarters (exact sums). */
export function readings(count: number, meters: number, hours: number): Array<{ key: string; value: string; kwh: number; ts: number }> {
  let seed = 42;
  const rand = (): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const start = Date.UTC(2026, 0, 1);
  return Array.from({ length: count }, (_, i) => {
    const kwh = Math.floor(rand() * 40) / 4;
    const ts = start + Math.floor((i / count) * hours * HOUR);
    const key = `meter${(i % meters) + 1}`;
    return { key, value: JSON.stringify({ kwh, ts }), kwh, ts };
  });
}

export function groundTruth(rows: ReturnType<typeof readings>): Map<string, { count: number; sum: number }> {
  const truth = new Map<string, { count: number; sum: number }>();
  for (const r of rows) {
    const id = `${r.key}@${Math.floor(r.ts / HOUR) * HOUR}`;
    const agg = truth.get(id) ?? { count: 0, sum: 0 };
    agg.count++;
    agg.sum += r.kwh;
    truth.set(id, agg);
  }
  return truth;
}

/** Every window (hourly by default) in a stopped stage's LevelDB store, read through the state contract. */
export async function storedWindows(dir: string, topic: string, partitions: number, spec: WindowSpec = { size: '1h', retention: '30d' }): Promise<Map<string, { count: number; sum: number }>> {
  const store = await openStateStore({ dir });
  const found = new Map<string, { count: number; sum: number }>();
  try {
    for (let p = 0; p < partitions; p++) {
      const engine = createWindows(spec, { onResult: () => {}, onLateDropped: () => {} });
      engine.bind(store.begin(topic, p), p);
      for await (const w of engine.range() as AsyncIterable<WindowResult<{ count: number; sum: number }>>) {
        found.set(`${w.key}@${w.start}`, { count: w.value.count, sum: w.value.sum });
      }
    }
  } finally {
    await store.close();
  }
  return found;
}

export function compare(found: Map<string, { count: number; sum: number }>, truth: Map<string, { count: number; sum: number }>): string[] {
  const mismatches: string[] = [];
  for (const [id, want] of truth) {
    const got = found.get(id);
    if (!got || got.count !== want.count || got.sum !== want.sum) mismatches.push(`${id}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  }
  for (const id of found.keys()) if (!truth.has(id)) mismatches.push(`${id}: not in the input`);
  return mismatches;
}

