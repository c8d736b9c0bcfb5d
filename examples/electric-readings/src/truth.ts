import type { ReadBack } from './read-topics.js';

/**
 * The ground truth of a demo run, computed here from the readings as they
 * were produced (read back from electric-readings), independently of the
 * stages' code: which readings are malformed and why, each meter's bill, each
 * (meter, hour) average, and each partition's watermark.
 */

/** A reading judged valid, normalised. */
export interface GoodReading {
  partition: number;
  offset: number;
  meter: string;
  kwh: number;
  ts: number;
  /** The Kafka record timestamp, epoch ms (what the tariffs table is joined on). */
  timestamp: number;
}

/** Totals of one meter. */
export interface MeterTotals {
  readings: number;
  kwh: number;
  peakKwh: number;
  cost: number;
}

/** The tariff of the run (UTC). */
export interface DemoTariff {
  peakStart: string;
  peakEnd: string;
  peakPrice: number;
  offPeakPrice: number;
}

export interface Truth {
  readings: number;
  good: GoodReading[];
  /** `partition/offset` -> the dead-letter code a stage must give it. */
  malformed: Map<string, string>;
  /** Meter -> the partition all its readings are in. */
  partitionOf: Map<string, number>;
  /** Meters whose readings are spread over several partitions (should be none: the key picks the partition). */
  splitMeters: string[];
  bills: Map<string, MeterTotals>;
  /** `meter@windowStart` -> count and sum. */
  windows: Map<string, { meter: string; start: number; count: number; sum: number }>;
  /** Highest event time of valid readings, per partition. */
  watermark: Map<number, number>;
  tariffs: TariffTruth;
}

/** What the tariffs table did in the run, by the join's rule. */
export interface TariffTruth {
  records: number;
  /** Tariff records applied before the first reading of their partition. */
  before: number;
  /** Tariff records applied after readings of their partition: changes mid-run. */
  changes: number;
  /** Valid readings priced after a mid-run change of their meter's tariff. */
  changedReadings: number;
  /** Valid readings priced from the table (a flat price) rather than the time-of-day tariff. */
  flatReadings: number;
  /** Tariff records on another partition than their meter's readings (should be none: the table is co-partitioned). */
  misplaced: string[];
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const HOUR = 3_600_000;

/** What the contract of electric-readings says about one record: valid, or the code of what is wrong. */
export function judge(r: ReadBack): { ok: true; reading: GoodReading } | { ok: false; code: string } {
  let value: unknown;
  try {
    value = r.value === null ? null : JSON.parse(r.value);
  } catch {
    return { ok: false, code: 'SEDA_CODEC_DECODE' };
  }
  if (r.key === null || r.key.trim() === '') return { ok: false, code: 'SEDA_READING_NO_METER' };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, code: 'SEDA_READING_VALUE_INVALID' };
  const { kwh, ts } = value as { kwh?: unknown; ts?: unknown };
  if (typeof kwh !== 'number' || !Number.isFinite(kwh)) return { ok: false, code: 'SEDA_READING_KWH_INVALID' };
  if (kwh < 0) return { ok: false, code: 'SEDA_READING_KWH_NEGATIVE' };
  let t: number | undefined;
  if (typeof ts === 'number' && Number.isFinite(ts)) t = ts;
  else if (typeof ts === 'string' && ISO.test(ts) && Number.isFinite(Date.parse(ts))) t = Date.parse(ts);
  if (t === undefined) return { ok: false, code: 'SEDA_READING_TS_INVALID' };
  return { ok: true, reading: { partition: r.partition, offset: r.offset, meter: r.key, kwh, ts: t, timestamp: r.timestamp } };
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h * 60 + m;
}

/** Peak in UTC from peakStart (inclusive) to peakEnd (exclusive), across midnight when end < start. */
export function isPeakUtc(ts: number, tariff: DemoTariff): boolean {
  const start = minutes(tariff.peakStart) * 60_000;
  const end = minutes(tariff.peakEnd) * 60_000;
  const t = ((ts % 86_400_000) + 86_400_000) % 86_400_000;
  if (start === end) return false;
  return start < end ? t >= start && t < end : t >= start || t < end;
}

/**
 * The tariffs table of one partition as billing-tariffs joins it (docs/tables.md):
 * before a reading, the table records are applied in offset order from the head
 * while the head's Kafka timestamp is <= the largest reading timestamp of the
 * partition so far. With non-decreasing timestamps that is "the latest tariff
 * at or before the reading's record timestamp".
 */
class TariffTable {
  readonly prices = new Map<string, number>();
  /** Meters whose entry changed after readings of the partition were priced. */
  readonly changed = new Set<string>();
  #head = 0;
  #streamTime = Number.NEGATIVE_INFINITY;
  #seen = false;
  constructor(private readonly records: ReadBack[]) {}

  /** Applies what is due before a stream record stamped `timestamp`; returns how many were applied (before, mid-run). */
  advance(timestamp: number): { before: number; changes: number } {
    this.#streamTime = Math.max(this.#streamTime, timestamp);
    const n = { before: 0, changes: 0 };
    while (this.#head < this.records.length && this.records[this.#head].timestamp <= this.#streamTime) {
      const r = this.records[this.#head++];
      const price = r.value === null ? undefined : (JSON.parse(r.value) as { price?: unknown }).price;
      if (typeof price === 'number') this.prices.set(r.key!, price);
      else this.prices.delete(r.key!);
      if (this.#seen) {
        n.changes++;
        this.changed.add(r.key!);
      } else n.before++;
    }
    this.#seen = true;
    return n;
  }
}

/** Computes the truth from the readings in partition order (the order every stage saw them in), billed with the tariffs table. */
export function groundTruth(readings: ReadBack[], tariff: DemoTariff, windowMs: number, tariffRecords: ReadBack[] = []): Truth {
  const sorted = [...readings].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  const truth: Truth = {
    readings: sorted.length,
    good: [],
    malformed: new Map(),
    partitionOf: new Map(),
    splitMeters: [],
    bills: new Map(),
    windows: new Map(),
    watermark: new Map(),
    tariffs: { records: tariffRecords.length, before: 0, changes: 0, changedReadings: 0, flatReadings: 0, misplaced: [] },
  };
  const byPartition = new Map<number, ReadBack[]>();
  for (const t of [...tariffRecords].sort((a, b) => a.partition - b.partition || a.offset - b.offset)) {
    byPartition.set(t.partition, [...(byPartition.get(t.partition) ?? []), t]);
  }
  const tables = new Map([...byPartition].map(([p, records]) => [p, new TariffTable(records)]));
  for (const r of sorted) {
    // Every stream record advances the table, malformed ones included (the runtime does so before decoding).
    const table = tables.get(r.partition);
    if (table !== undefined) {
      const n = table.advance(r.timestamp);
      truth.tariffs.before += n.before;
      truth.tariffs.changes += n.changes;
    }
    const verdict = judge(r);
    if (!verdict.ok) {
      truth.malformed.set(`${r.partition}/${r.offset}`, verdict.code);
      continue;
    }
    const g = verdict.reading;
    truth.good.push(g);
    const p = truth.partitionOf.get(g.meter);
    if (p === undefined) truth.partitionOf.set(g.meter, g.partition);
    else if (p !== g.partition && !truth.splitMeters.includes(g.meter)) truth.splitMeters.push(g.meter);
    const bill = truth.bills.get(g.meter) ?? { readings: 0, kwh: 0, peakKwh: 0, cost: 0 };
    const peak = isPeakUtc(g.ts, tariff);
    const flat = table?.prices.get(g.meter);
    if (flat !== undefined) truth.tariffs.flatReadings++;
    if (table?.changed.has(g.meter)) truth.tariffs.changedReadings++;
    bill.readings++;
    bill.kwh += g.kwh;
    if (peak) bill.peakKwh += g.kwh;
    bill.cost += g.kwh * (flat ?? (peak ? tariff.peakPrice : tariff.offPeakPrice));
    truth.bills.set(g.meter, bill);
    const start = Math.floor(g.ts / windowMs) * windowMs;
    const id = `${g.meter}@${start}`;
    const w = truth.windows.get(id) ?? { meter: g.meter, start, count: 0, sum: 0 };
    w.count++;
    w.sum += g.kwh;
    truth.windows.set(id, w);
    truth.watermark.set(g.partition, Math.max(truth.watermark.get(g.partition) ?? Number.NEGATIVE_INFINITY, g.ts));
  }
  for (const t of tariffRecords) {
    const p = t.key === null ? undefined : truth.partitionOf.get(t.key);
    if (p !== undefined && p !== t.partition) truth.tariffs.misplaced.push(`${t.key} on tariffs/${t.partition}, its readings on electric-readings/${p}`);
  }
  return truth;
}

/** Equal up to floating-point summation order: within 1e-9, relative. */
export function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

export { HOUR };
