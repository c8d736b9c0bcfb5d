import type { Reading } from '@seda/stage-meter-readings/reading';
import type { OptionsSchema } from '@seda/core';
import { checkTimezone, compileTariff, parseClock, type Tariff, type TariffOptions } from './tariff.js';

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

const tariffs = new WeakMap<object, Tariff>();
/** The compiled time-of-day tariff of a resolved options object (one per stage instance: the runtime resolves options once). */
export function tariffOf(options: TariffOptions): Tariff {
  let t = tariffs.get(options);
  if (t === undefined) tariffs.set(options, (t = compileTariff(options)));
  return t;
}

/** The options of the billing stages: the time-of-day tariff (and the currency). */
export const billingOptions = {
  peakStart: { type: 'string', default: '07:00', check: clock, description: 'local time the peak tariff starts (inclusive), HH:MM' },
  peakEnd: { type: 'string', default: '23:00', check: clock, description: 'local time the peak tariff ends (exclusive), HH:MM; earlier than peakStart for a peak across midnight' },
  peakPrice: { type: 'number', default: 0.3, min: 0, description: 'price per kWh in the peak hours' },
  offPeakPrice: { type: 'number', default: 0.15, min: 0, description: 'price per kWh outside the peak hours' },
  timezone: { type: 'string', default: 'UTC', check: checkTimezone, description: 'IANA time zone of the peak hours' },
  currency: { type: 'string', default: 'EUR', description: 'currency of the prices, copied into bills' },
} satisfies OptionsSchema;

/** Bills one reading at `price` per kWh: the meter's account after it, and the update `bills` receives. */
export function bill(prev: Account | undefined, r: Reading, peak: boolean, price: number, currency: string): { account: Account; update: BillUpdate } {
  const account: Account = {
    readings: (prev?.readings ?? 0) + 1,
    kwh: (prev?.kwh ?? 0) + r.kwh,
  peakKwh: (prev?.peakKwh ?? 0) + (peak ? r.kwh : 0),
  offPeakKwh: (prev?.offPeakKwh ?? 0) + (peak ? 0 : r.kwh),
    cost: (prev?.cost ?? 0) + r.kwh * price,
    lastTs: Math.max(prev?.lastTs ?? r.ts, r.ts),
  };
  return { account, update: { meter: r.meter, currency, ...account, reading: { kwh: r.kwh, ts: r.ts, peak, price } } };
}
