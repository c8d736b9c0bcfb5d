import { SedaError, type OutputBatch } from '@seda/core';
import { KafkaSink } from '@seda/kafka';
import { topics } from './plan.js';

/**
 * The demo's tariffs table: the records it writes to `tariffs` for billing's
 * stream-table join (`@seda/stage-billing/with-tariffs`). Keyed by meter and
 * produced with seda's producer (murmur2, as the source's readings), so each
 * lands on the partition of its meter's readings: the table is co-partitioned.
 */

/** One record of the table: a meter's flat price per kWh, or null (a tombstone: back to the time-of-day tariff of the options). */
export interface TariffWrite {
  meter: string;
  price: number | null;
}

/**
 * What the demo writes, from the meter count alone: `initial` (every 5th
 * meter on a flat price), `changes` applying mid-run (every
 * 10th meter from meter1 to a new price, from meter6 dropped back to the
 * time-of-day tariff, from meter3 on a flat price it did not have).
 */
export function tariffSchedule(meters: number): { initial: TariffWrite[]; changes: TariffWrite[] } {
  const initial: TariffWrite[] = [];
  const changes: TariffWrite[] = [];
  for (let m = 1; m <= meters; m++) {
    const meter = `meter${m}`;
    if (m % 5 === 1) initial.push({ meter, price: 0.21 });
    if (m % 10 === 1) changes.push({ meter, price: 0.34 });
    else if (m % 10 === 6) changes.push({ meter, price: null });
    else if (m % 10 === 3) changes.push({ meter, price: 0.27 });
  }
  return { initial, changes };
}

/** From when the changes apply, as a fraction of the source's duration after it starts. */
export const changeAppliesAt = 0.6;

/**
 * Writes tariff records with one producer. A change is stamped with the time
 * it applies from, ahead of when it is written (the rule of docs/tables.md: a
 * table change must be on the topic before the readings it applies to are).
 */
export class TariffWriter {
  readonly #sink: KafkaSink;
  #failed: Error | undefined;

  private constructor(sink: KafkaSink) {
    this.#sink = sink;
    sink.on('error', (err: Error) => (this.#failed = err));
  }

  /** Connects the producer to the demo's broker. */
  static async connect(brokers: string): Promise<TariffWriter> {
    const sink = new KafkaSink({ brokers });
    await sink.connect();
    return new TariffWriter(sink);
  }

  /** Writes `writes` stamped `timestamp` (epoch ms); resolves with the time the broker acknowledged all of them. */
  async write(writes: TariffWrite[], timestamp: number, timeoutMs = 60_000): Promise<number> {
    const batch: OutputBatch = {
      topic: topics.tariffs,
      partition: 0,
      nextOffset: 0,
      inputCount: 0,
      deadLetters: 0,
      messages: writes.map((w) => ({
        topic: topics.tariffs,
        key: Buffer.from(w.meter),
        value: w.price === null ? null : Buffer.from(JSON.stringify({ price: w.price })),
        timestamp,
      })),
    };
    await new Promise<void>((resolve, reject) => this.#sink.write(batch, (err) => (err ? reject(err) : resolve())));
    try {
      await this.#sink.flush(timeoutMs);
    } catch (err) {
      throw new SedaError('SEDA_DEMO_BROKER', `the demo's broker did not acknowledge ${writes.length} tariff records within ${timeoutMs / 1000} s`, { cause: err });
    }
    if (this.#failed !== undefined) throw new SedaError('SEDA_DEMO_BROKER', `writing tariffs failed: ${this.#failed.message}`, { cause: this.#failed });
    return Date.now();
  }

  /** Disconnects, bounded. */
  close(): Promise<void> {
    return this.#sink.close(5000);
  }
}
