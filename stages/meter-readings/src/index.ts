import { defineSource, SedaError, type SourceContext, type SourceEmission } from '@seda/core';
import { readCsv } from './csv.js';
import { createSynthetic } from './synthetic.js';

export { parseReading, readingTime, readingErrorCodes, type Reading, type ReadingValue, type ReadingErrorCode } from './reading.js';
export { createSynthetic, malformedKinds, type MalformedKind, type SyntheticParams, type SyntheticReading } from './synthetic.js';

const DAY_MS = 86_400_000;
/** Most records in one batch. */
const MAX_BATCH = 500;
/** Shortest pause between paced batches: a fast rate goes out in batches, not one timer per record. */
const MIN_SLEEP_MS = 10;

const options = {
  meters: { type: 'integer', min: 1, max: 1_000_000, description: 'number of meters, meter1..meterM (default 10)' },
  rate: { type: 'number', min: 0.001, description: 'records per second (default: as fast as possible, or set by --speedup)' },
  count: { type: 'integer', min: 0, description: 'stop after this many readings' },
  duration: { type: 'duration', description: 'stop after this long (wall clock), e.g. 30s' },
  start: { type: 'time', description: 'event time of the first readings, ISO-8601 or epoch ms (default: today 00:00 UTC)' },
  speedup: {
    type: 'number',
    min: 0.001,
    description: 'event time runs this many times faster than wall time (1440: a day of readings per minute); paces the run',
  },
  interval: { type: 'duration', min: 1, description: 'event time between two readings of one meter (default 1m; derived when --rate and --speedup are both given)' },
  seed: { type: 'integer', min: 0, description: 'seed of the synthetic readings (default: random, logged); the same seed and --start give the same readings' },
  malformedEvery: {
    type: 'integer',
    min: 0,
    description: 'make every n-th reading malformed, cycling negative kWh, non-numeric kWh, no meter and an unreadable ts (default 0: none)',
  },
  tsFormat: { type: 'string', choices: ['ms', 'iso', 'mixed'], description: 'ts as epoch ms, ISO-8601 strings, or alternating (default ms)' },
  fromCsv: { type: 'string', description: 'replay the meter,ts,kwh lines of this file instead (paced by --rate, or by their ts with --speedup)' },
} as const;

type Ctx = SourceContext<{
  readonly meters?: number;
  readonly rate?: number;
  readonly count?: number;
  readonly duration?: number;
  readonly start?: number;
  readonly speedup?: number;
  readonly interval?: number;
  readonly seed?: number;
  readonly malformedEvery?: number;
  readonly tsFormat?: string;
  readonly fromCsv?: string;
}>;

function invalid(message: string): SedaError {
  return new SedaError('SEDA_OPTIONS_INVALID', `meter-readings: ${message} (see: seda describe meter-readings)`);
}

/** Sleeps until `dueMs` after `t0`, never past the end of the run's duration; false when stopped. */
async function waitUntil(ctx: Ctx, t0: number, dueMs: number): Promise<boolean> {
  const { duration } = ctx.options;
  const elapsed = ctx.now() - t0;
  let ms = Math.max(MIN_SLEEP_MS, dueMs - elapsed);
  if (duration !== undefined) ms = Math.min(ms, Math.max(0, duration - elapsed));
  return ctx.sleep(ms);
}

/** Batches of `make(n)` at a steady `rate` (or as fast as possible), within --count and --duration. */
async function* paced(ctx: Ctx, rate: number | undefined, make: (n: number) => SourceEmission<'readings'>[]): AsyncGenerator<SourceEmission<'readings'>[]> {
  const { count, duration } = ctx.options;
  const t0 = ctx.now();
  let i = 0;
  for (;;) {
    if (ctx.signal.aborted || (count !== undefined && i >= count)) return;
    const elapsed = ctx.now() - t0;
    const over = duration !== undefined && elapsed >= duration;
    let n = MAX_BATCH;
    if (rate !== undefined) {
      // Record i is due at i / rate seconds: produce what is due, then wait for the next one.
      // Past the duration, what was due before its end still goes out (a sleep may overshoot it).
      const due = over ? Math.ceil((duration * rate) / 1000) - i : Math.floor((elapsed * rate) / 1000) + 1 - i;
      if (due <= 0) {
        if (over || !(await waitUntil(ctx, t0, (i * 1000) / rate))) return;
        continue;
      }
      n = Math.min(n, due);
    } else if (over) return;
    if (count !== undefined) n = Math.min(n, count - i);
    i += n;
    yield make(n);
  }
}

async function* synthetic(ctx: Ctx): AsyncGenerator<SourceEmission<'readings'>[]> {
  const o = ctx.options;
  const meters = o.meters ?? 10;
  if (o.rate !== undefined && o.speedup !== undefined && o.interval !== undefined) {
    throw invalid('--rate, --speedup and --interval over-determine the pace: give at most two of them');
  }
  // rate = meters * speedup / interval: any two give the third.
  const intervalMs = o.rate !== undefined && o.speedup !== undefined ? (meters * o.speedup * 1000) / o.rate : (o.interval ?? 60_000);
  const rate = o.rate ?? (o.speedup !== undefined ? (meters * o.speedup * 1000) / intervalMs : undefined);
  const startMs = o.start ?? Math.floor(ctx.now() / DAY_MS) * DAY_MS;
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const malformedEvery = o.malformedEvery ?? 0;
  const tsFormat = (o.tsFormat ?? 'ms') as 'ms' | 'iso' | 'mixed';
  ctx.log.info(
    { meters, intervalMs, rate: rate ?? 'as fast as possible', start: new Date(startMs).toISOString(), seed, malformedEvery, tsFormat },
    `synthetic readings (seed ${seed}: pass --seed ${seed} --start ${new Date(startMs).toISOString()} to reproduce)`,
  );
  const gen = createSynthetic({ meters, startMs, intervalMs, seed, malformedEvery, tsFormat });
  yield* paced(ctx, rate, (n) => {
    const batch = new Array<SourceEmission<'readings'>>(n);
    for (let k = 0; k < n; k++) batch[k] = gen.next() as SourceEmission<'readings'>;
    return batch;
  });
}

async function* csv(ctx: Ctx, file: string): AsyncGenerator<SourceEmission<'readings'>[]> {
  const o = ctx.options;
  const synthetic = (['meters', 'start', 'interval', 'seed', 'malformedEvery', 'tsFormat'] as const).filter((k) => o[k] !== undefined);
  if (synthetic.length > 0) throw invalid(`--from-csv replays a file: ${synthetic.join(', ')} only apply to synthetic readings`);
  if (o.rate !== undefined && o.speedup !== undefined) throw invalid('--from-csv is paced by --rate or by --speedup (in event time), not both');
  const t0 = ctx.now();
  let i = 0;
  let firstEventMs: number | undefined;
  let batch: SourceEmission<'readings'>[] = [];
  for await (const row of readCsv(file)) {
    if (ctx.signal.aborted || (o.count !== undefined && i >= o.count)) break;
    let dueMs = 0;
    if (o.rate !== undefined) dueMs = (i * 1000) / o.rate;
    else if (o.speedup !== undefined && row.eventMs !== undefined) {
      firstEventMs ??= row.eventMs;
      dueMs = Math.max(0, (row.eventMs - firstEventMs) / o.speedup);
    }
    if (dueMs > ctx.now() - t0 + MIN_SLEEP_MS) {
      if (batch.length > 0) yield batch;
      batch = [];
      if (!(await waitUntil(ctx, t0, dueMs))) return;
    }
    if (o.duration !== undefined && ctx.now() - t0 >= o.duration) break;
    batch.push({ key: row.key, value: row.value });
    i++;
    if (batch.length >= MAX_BATCH) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * meter-readings: a source of electric meter readings into `electric-readings`
 * (key = meter id, value `{ kwh, ts }`). Synthetic readings are seeded and
 * paced in event time (`--speedup 1440`: a day per minute); `--from-csv`
 * replays a file. See `seda describe meter-readings`.
 */
export default defineSource({
  name: 'meter-readings',
  description: 'electric meter readings (synthetic and seeded, or replayed from CSV) into electric-readings',
  outputs: { readings: { topic: 'electric-readings', codec: 'json' } },
  options,
  generate(ctx) {
    return ctx.options.fromCsv !== undefined ? csv(ctx, ctx.options.fromCsv) : synthetic(ctx);
  },
});
