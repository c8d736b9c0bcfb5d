import { defineStage } from '@seda/core';
import { parseReading } from '@seda/stage-meter-readings/reading';
import { bill, billingOptions, tariffOf, type Account } from './account.js';

/** A record of the `tariffs` table: keyed by meter, the price per kWh from the record's timestamp on. */
export interface MeterTariff {
  price: number;
}

/**
 * billing-tariffs: billing with a stream-table join (the recipe of
 * docs/tables.md). Like `billing`, but a meter with a record in the
 * co-partitioned table `tariffs` (key: meter, value `{ "price": 0.27 }`) is
 * billed at that price per kWh from the tariff record's timestamp on: each
 * reading is joined with the table as of the reading's record timestamp, so
 * a replay after a crash bills it at the same price. Meters without a tariff
 * record keep the time-of-day tariff of the options. The `tariffs` topic
 * must have the partition count of `electric-readings` and be keyed by meter
 * like it.
 */
export default defineStage({
  name: 'billing-tariffs',
  description: 'billing, with per-meter prices from the tariffs table (stream-table join in timestamp order), as bill updates in bills',
  input: { topic: 'electric-readings', codec: 'json' },
  outputs: { bills: { topic: 'bills', codec: 'json' } },
  dlqTopic: 'billing.dlq',
  state: {},
  tables: { tariffs: { topic: 'tariffs', codec: 'json' } },
  options: billingOptions,
  async process(record, ctx) {
    const r = parseReading(record.key, record.value);
    const o = ctx.options;
    const peak = tariffOf(o).isPeak(r.ts);
    const tariff = (await ctx.tables.tariffs.get(r.meter)) as MeterTariff | undefined;
    const price = typeof tariff?.price === 'number' ? tariff.price : peak ? o.peakPrice : o.offPeakPrice;
    const prev = (await ctx.state.get(r.meter)) as Account | undefined;
    const { account, update } = bill(prev, r, peak, price, o.currency);
    ctx.state.put(r.meter, account);
    ctx.emit('bills', { key: r.meter, value: update });
  },
});
