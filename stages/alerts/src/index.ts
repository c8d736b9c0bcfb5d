import { defineStage, SedaError } from '@seda/core';

export { alertErrorCodes, type AlertErrorCode } from './errors.js';

/** What alerts reads: the records consumption-average emits. */
export interface WindowAverage {
  meter: string;
  windowStart: string;
  windowEnd: string;
  count: number;
  sum: number;
  avg: number;
}

/** What `alerts` receives, keyed by meter. */
export interface ConsumptionAlert {
  meter: string;
  windowStart: string;
  windowEnd: string;
  /** The window's average kWh per reading, and the threshold it exceeded. */
  avg: number;
  threshold: number;
  count: number;
}

function invalid(message: string): SedaError {
  return new SedaError('SEDA_ALERT_INPUT_INVALID', message, { canRetry: false });
}

/** Checks one record of consumption-averages; throws a non-retriable `SEDA_ALERT_INPUT_INVALID` otherwise. */
export function parseWindowAverage(value: unknown): WindowAverage {
  if (value === null || typeof value !== 'object') throw invalid('record is not an hourly average object');
  const v = value as Partial<WindowAverage>;
  if (typeof v.meter !== 'string' || v.meter === '') throw invalid('hourly average has no "meter"');
  if (typeof v.avg !== 'number' || !Number.isFinite(v.avg)) throw invalid(`hourly average of meter "${v.meter}" has no numeric "avg"`);
  if (typeof v.windowStart !== 'string' || typeof v.windowEnd !== 'string') throw invalid(`hourly average of meter "${v.meter}" has no windowStart/windowEnd`);
  return v as WindowAverage;
}

/**
 * alerts: the second hop. Reads `consumption-averages` and emits an alert to
 * `alerts` for every window whose average kWh per reading is strictly above
 * `threshold` (`seda run alerts --threshold 0.08`). Stateless, at-least-once:
 * a replayed window gives the same alert again, so consumers deduplicate by
 * (meter, windowStart). Records that are not averages go to `alerts.dlq`.
 */
export default defineStage({
  name: 'alerts',
  description: 'alerts when a meter\'s hourly average consumption (consumption-averages) exceeds a threshold',
  input: { topic: 'consumption-averages', codec: 'json' },
  outputs: { alerts: { topic: 'alerts', codec: 'json' } },
  dlqTopic: 'alerts.dlq',
  options: {
    threshold: { type: 'number', default: 0.05, min: 0, description: 'alert when a window\'s average kWh per reading is above this (0.05 kWh per 1-minute reading is 3 kW)' },
  },
  process(record, ctx) {
    const w = parseWindowAverage(record.value);
    const threshold = ctx.options.threshold;
    if (!(w.avg > threshold)) return;
    const alert: ConsumptionAlert = { meter: w.meter, windowStart: w.windowStart, windowEnd: w.windowEnd, avg: w.avg, threshold, count: w.count };
    ctx.emit('alerts', { key: w.meter, value: alert });
  },
});
