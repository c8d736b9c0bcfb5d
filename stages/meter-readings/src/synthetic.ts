import type { SourceEmission } from '@seda/core';
import type { ReadingValue } from './reading.js';

/** Kinds of malformed readings injected with `--malformed-every`, in the order they cycle. */
export const malformedKinds = ['negative-kwh', 'non-numeric-kwh', 'missing-meter', 'bad-ts'] as const;
/** A kind of injected malformed reading. */
export type MalformedKind = (typeof malformedKinds)[number];

/** Parameters of the synthetic readings; the same parameters give the same sequence. */
export interface SyntheticParams {
  meters: number;
  /** Event time of the first round of readings, epoch ms. */
  startMs: number;
  /** Event time between two readings of one meter, ms. */
  intervalMs: number;
  seed: number;
  /** Every n-th reading is malformed (0: none). */
  malformedEvery: number;
  tsFormat: 'ms' | 'iso' | 'mixed';
}

/** A reading as produced: the emission plus what the test oracle needs to know about it. */
export type SyntheticReading = SourceEmission<'readings', string, Partial<ReadingValue> | { kwh: unknown; ts: unknown }> & { malformed?: MalformedKind };

const HOUR_MS = 3_600_000;

/** mulberry32: a small, fast, well-distributed 32-bit PRNG; deterministic per seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Relative load by hour of day (UTC): a morning bump and an evening peak. */
function dailyProfile(hourOfDay: number): number {
  return 0.6 + 0.5 * Math.exp(-((hourOfDay - 7.5) ** 2) / 2) + 1.6 * Math.exp(-((hourOfDay - 19) ** 2) / 6);
}

/**
 * The synthetic readings: meters `meter1`..`meterM` each report once per
 * interval of event time (round r at `start + r * interval`, plus a jitter of
 * less than half an interval, as real meters' clocks drift), so the topic is
 * in event-time order up to half an interval. A meter draws a base load
 * (0.2-1.4 kW) times a daily profile times noise; every 7th meter also
 * charges an electric car (7.4 kW) from 22:00 to 02:00 UTC. kWh are rounded
 * to 0.1 Wh. Reading i depends only on the parameters and i.
 */
export function createSynthetic(params: SyntheticParams): { next(): SyntheticReading; readonly index: number } {
  const { meters, startMs, intervalMs, malformedEvery, tsFormat } = params;
  const rand = mulberry32(params.seed);
  const base: number[] = [];
  const baseRand = mulberry32(params.seed ^ 0x5eda);
  for (let m = 0; m < meters; m++) base.push(0.2 + 1.2 * baseRand());
  const hours = intervalMs / HOUR_MS;
  let i = 0;
  return {
    get index() {
      return i;
    },
    next(): SyntheticReading {
      const m = i % meters;
      const round = Math.floor(i / meters);
      const jitter = Math.floor(rand() * (intervalMs / 2));
      const noise = 0.7 + 0.6 * rand();
      const ts = startMs + round * intervalMs + jitter;
      const hourOfDay = (((ts % 86_400_000) + 86_400_000) % 86_400_000) / HOUR_MS;
      const charging = m % 7 === 3 && (hourOfDay >= 22 || hourOfDay < 2) ? 7.4 : 0;
      const kw = base[m] * dailyProfile(hourOfDay) * noise + charging;
      const kwh = Math.round(kw * hours * 10_000) / 10_000;
      const iso = tsFormat === 'iso' || (tsFormat === 'mixed' && i % 2 === 1);
      const reading: SyntheticReading = { key: `meter${m + 1}`, value: { kwh, ts: iso ? new Date(ts).toISOString() : ts } };
      i++;
      if (malformedEvery > 0 && i % malformedEvery === 0) {
        const kind = malformedKinds[(i / malformedEvery - 1) % malformedKinds.length];
        reading.malformed = kind;
        if (kind === 'negative-kwh') reading.value = { kwh: -Math.max(kwh, 0.001), ts };
        else if (kind === 'non-numeric-kwh') reading.value = { kwh: 'n/a', ts };
        else if (kind === 'missing-meter') reading.key = null;
        else reading.value = { kwh, ts: 'yesterday' };
      }
      return reading;
    },
  };
}
