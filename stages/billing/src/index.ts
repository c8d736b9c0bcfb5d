import { defineStage } from '@seda/core';
import { parseReading } from '@seda/stage-meter-readings/reading';
import { checkTimezone, compileTariff, parseClock, type Tariff, type TariffOptions } from './tariff.js';

export { compileTariff, parseClock, type Tariff, type TariffOptions } from './tariff.js';

/** A meter's running account, kept in state (one key per meter). */
export interface Account {
  readings: number;
  kwh: number;
  peakKwh: number;
  offPeakKwh: number;
  cost: number;
  /** Event time of the latest reading billed, epoch ms. */
  lastTs: number;
}

/** What `bills` receives after each reading: the meter's account so far, keyed by meter. */
export interface BillUpdate extends Account {
  meter: string;
  currency: string;
  /** The reading just billed. */
  reading: { kwh: number; ts: number; peak: boolean; price: number };
}

const clock = (v: string): string | undefined => (parseClock(v) === undefined ? 'must be a time of day HH:MM, 00:00 to 24:00' : undefined);

// One compiled tariff per resolved options object (the runtime resolves options once per stage instance).
const tariffs = new WeakMap<object, Tariff>();
function tariffOf(options: TariffOptions): Tariff {
  let t = tariffs.get(options);
  if (t === undefined) tariffs.set(options, (t = compileTariff(options)));
  return t;
}

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
  options: {
    peakStart: { type: 'string', default: '07:00', check: clock, description: 'local time the peak tariff starts (inclusive), HH:MM' },
    peakEnd: { type: 'string', default: '23:00', check: clock, description: 'local time the peak tariff ends (exclusive), HH:MM; earlier than peakStart for a peak across midnight' },
    peakPrice: { type: 'number', default: 0.3, min: 0, description: 'price per kWh in the peak hours' },
    offPeakPrice: { type: 'number', default: 0.15, min: 0, description: 'price per kWh outside the peak hours' },
    timezone: { type: 'string', default: 'UTC', check: checkTimezone, description: 'IANA time zone of the peak hours' },
    currency: { type: 'string', default: 'EUR', description: 'currency of the prices, copied into bills' },
  },
  async process(record, ctx) {
    const r = parseReading(record.key, record.value);
    const o = ctx.options;
    const tariff = tariffOf(o);
    const peak = tariff.isPeak(r.ts);
    const price = peak ? o.peakPrice : o.offPeakPrice;
    const prev = (await ctx.state.get(r.meter)) as Account | undefined;
    const account: Account = {
      readings: (prev?.readings ?? 0) + 1,
      kwh: (prev?.kwh ?? 0) + r.kwh,
      peakKwh: (prev?.peakKwh ?? 0) + (peak ? r.kwh : 0),
      offPeakKwh: (prev?.offPeakKwh ?? 0) + (peak ? 0 : r.kwh),
      cost: (prev?.cost ?? 0) + r.kwh * price,
      lastTs: Math.max(prev?.lastTs ?? r.ts, r.ts),
    };
    ctx.state.put(r.meter, account);
    const update: BillUpdate = { meter: r.meter, currency: o.currency, ...account, reading: { kwh: r.kwh, ts: r.ts, peak, price } };
    ctx.emit('bills', { key: r.meter, value: update });
  },
});
