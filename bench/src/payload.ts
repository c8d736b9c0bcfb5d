/**
 * What the load generator writes and the observer reads back.
 *
 * A stamped value starts with its produce time (microseconds of the
 * system-wide monotonic clock, float64) and its sequence number (uint32),
 * then filler up to the requested size. Any process on the machine reads the
 * same clock, so the observer computes end-to-end latency by subtraction.
 */

/** Bytes every stamped value starts with: time (8) + sequence (4). */
export const STAMP_BYTES = 12;

/** Microseconds of CLOCK_MONOTONIC: the same clock in every process of the machine. */
export function nowMicros(): number {
  return Number(process.hrtime.bigint()) / 1000;
}

/** A reusable value buffer of `size` bytes; node-rdkafka copies values at produce, so one buffer serves every message. */
export function stampedTemplate(size: number): Buffer {
  if (!Number.isInteger(size) || size < STAMP_BYTES) throw new RangeError(`a stamped value needs at least ${STAMP_BYTES} bytes (got ${size})`);
  return Buffer.alloc(size, 0x78);
}

/** Writes the produce time and sequence number into the head of `value`. */
export function stamp(value: Buffer, micros: number, seq: number): void {
  value.writeDoubleLE(micros, 0);
  value.writeUInt32LE(seq, 8);
}

/** The produce time (µs) written by {@link stamp}, or NaN when `value` is not stamped. */
export function stampTime(value: Buffer | null | undefined): number {
  return value != null && value.length >= STAMP_BYTES ? value.readDoubleLE(0) : Number.NaN;
}

/** The sequence number written by {@link stamp}, or -1 when `value` is not stamped. */
export function stampSeq(value: Buffer | null | undefined): number {
  return value != null && value.length >= STAMP_BYTES ? value.readUInt32LE(8) : -1;
}

/** Parameters of the meter readings the stateful scenario produces. */
export interface ReadingsSpec {
  /** Number of meters; reading i belongs to meter i % meters. */
  meters: number;
  /** Event time of the first reading, ms (aligned to an hour). */
  startMs: number;
  /** Event time between two readings of one meter, ms. */
  intervalMs: number;
  partitions: number;
}

/** Default readings: every meter reads every 15 minutes, starting 2024-01-01T00:00Z. */
export function readingsSpec(meters: number, partitions: number): ReadingsSpec {
  return { meters, startMs: Date.UTC(2024, 0, 1), intervalMs: 15 * 60_000, partitions };
}

/** Key of a meter: `m` + zero-padded index. */
export function meterKey(meter: number): string {
  return `m${String(meter).padStart(6, '0')}`;
}

/** The i-th reading: its meter, partition (meter % partitions, so the bench knows each partition's contents), event time and kWh. */
export function reading(spec: ReadingsSpec, i: number): { meter: number; partition: number; ts: number; kwh: number } {
  const meter = i % spec.meters;
  const round = Math.floor(i / spec.meters);
  // kWh depends only on (meter, round): a deterministic, checkable sum per window.
  const kwh = ((meter * 7 + round * 13) % 100) / 100;
  return { meter, partition: meter % spec.partitions, ts: spec.startMs + round * spec.intervalMs, kwh };
}

/** A reading's value bytes: `{"kwh":..,"ts":..,"n":i}`. */
export function readingValue(kwh: number, ts: number, seq: number): Buffer {
  return Buffer.from(`{"kwh":${kwh},"ts":${ts},"n":${seq}}`);
}

/** What a run of the hourly stage must emit. */
export interface ExpectedWindows {
  /** Windows the stage must emit as final (end at or before its partition's watermark). */
  count: number;
  /** Readings inside those windows. */
  readings: number;
  /** Sum of kWh inside those windows (rounded to 1e-6). */
  kwh: number;
}

/**
 * The final hourly windows a 1-hour tumbling window stage with no grace must
 * emit for readings 0..n-1: per partition, every window whose end is at or
 * before the highest event time seen in that partition.
 */
export function expectedHourlyWindows(spec: ReadingsSpec, n: number): ExpectedWindows {
  const hour = 3_600_000;
  const watermark = new Array<number>(spec.partitions).fill(Number.NEGATIVE_INFINITY);
  for (let i = 0; i < n; i++) {
    const r = reading(spec, i);
    if (r.ts > watermark[r.partition]) watermark[r.partition] = r.ts;
  }
  let count = 0;
  let readings = 0;
  let kwh = 0;
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const r = reading(spec, i);
    const start = Math.floor(r.ts / hour) * hour;
    if (start + hour > watermark[r.partition]) continue;
    readings++;
    kwh += r.kwh;
    const id = `${r.meter}:${start}`;
    if (!seen.has(id)) {
      seen.add(id);
      count++;
    }
  }
  return { count, readings, kwh: Math.round(kwh * 1e6) / 1e6 };
}
