import { defineStage } from '@seda/core';
import { parseReading } from '@seda/stage-meter-readings/reading';
import { bill, billingOptions, tariffOf, type Account } from './account.js';

export { compileTariff, parseClock, type Tariff, type TariffOptions } from './tariff.js';
export { bill, billingOptions, type Account, type BillUpdate } from './account.js';

/**
 * billing: reads `electric-readings` in its own group (fanout beside audit)
 * and keeps each meter's running cost under a time-of-day tariff: a reading
 * is priced by the tariff in force at its `ts`, in `timezone` local time
 * (peak from `peakStart` inclusive to `peakEnd` exclusive). Accounts and
 * offsets are stored together (state mode), so a kill never bills a reading
 * twice; every reading emits the meter's updated account to `bills`.
 * Malformed readings go to `billing.dlq` (`SEDA_READING_*`).
 *
 * Configure with `seda run billing --peak-price 0.32 --timezone Europe/Paris`
 * (or `--set peakPrice=0.32`, or `SEDA_OPT_PEAK_PRICE=0.32`).
 */
export default defineStage({
  name: 'billing',
  description: 'per-meter running cost of electric-readings under a time-of-day tariff, as bill updates in bills',
  input: { topic: 'electric-readings', codec: 'json' },
  outputs: { bills: { topic: 'bills', codec: 'json' } },
  dlqTopic: 'billing.dlq',
  state: {},
  options: billingOptions,
  async process(record, ctx) {
    const r = parseReading(record.key, record.value);
    const o = ctx.options;
    const tariff = tariffOf(o);
    const peak = tariff.isPeak(r.ts);
    const price = peak ? o.peakPrice : o.offPeakPrice;
    const prev = (await ctx.state.get(r.meter)) as Account | undefined;
    const { account, update } = bill(prev, r, peak, price, o.currency);
    ctx.state.put(r.meter, account);
    ctx.emit('bills', { key: r.meter, value: update });
  },
});
