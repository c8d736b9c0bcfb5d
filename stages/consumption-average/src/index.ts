import { defineStage, type Stage, type WindowSpec } from '@seda/core';
import { parseReading, type ReadingValue } from '@seda/stage-meter-readings/reading';

/** What `consumption-averages` receives: one record per meter per closed window, keyed by meter. */
export interface HourlyAverage {
  meter: string;
  /** Window start (inclusive) and end (exclusive), ISO-8601 UTC. */
  windowStart: string;
  windowEnd: string;
  /** Readings in the window, their kWh sum and average kWh per reading. */
  count: number;
  sum: number;
  avg: number;
}

interface Aggregate {
  count: number;
  sum: number;
}

/** The windows of the ready-made stage: tumbling hours of event time, 5 minutes of grace, kept a day once closed. */
export const hourlyWindows: WindowSpec = { size: '1h', grace: '5m', retention: '1d' };

/**
 * Builds the consumption-average stage over other windows (e.g. hopping
 * `{ size: '1h', advance: '15m' }`); the default export uses {@link hourlyWindows}.
 *
 * Readings are folded into every event-time window of their meter that
 * contains their `ts`; a window is emitted once, when the partition's
 * watermark (highest `ts` seen) passes its end plus the grace. A reading later
 * than that for all its windows is dead-lettered (`SEDA_WINDOW_LATE`), as are
 * malformed readings (`SEDA_READING_*`). Windows, watermark and offsets are
 * stored together (state mode): a stage killed at any point resumes exactly.
 */
export function consumptionAverage(windows: WindowSpec = hourlyWindows, name = 'consumption-average'): Stage {
  return defineStage<string, ReadingValue, 'averages'>({
    name,
    description: 'average kWh per meter per event-time window (tumbling hours) from electric-readings',
    input: { topic: 'electric-readings', codec: 'json' },
    outputs: { averages: { topic: 'consumption-averages', codec: 'json' } },
    dlqTopic: 'consumption-average.dlq',
    state: { windows },
    async process(record, ctx) {
      const r = parseReading(record.key, record.value);
      await ctx.windows.aggregate(r.meter, r.ts, (acc?: Aggregate) => ({ count: (acc?.count ?? 0) + 1, sum: (acc?.sum ?? 0) + r.kwh }));
    },
    onWindow(w, ctx) {
      const { count, sum } = w.value as Aggregate;
      const value: HourlyAverage = {
        meter: w.key,
        windowStart: new Date(w.start).toISOString(),
        windowEnd: new Date(w.end).toISOString(),
        count,
        sum,
        avg: sum / count,
      };
      ctx.emit('averages', { key: w.key, value });
    },
  });
}

/** consumption-average: average kWh per meter per hour, from electric-readings into consumption-averages. */
export default consumptionAverage();
