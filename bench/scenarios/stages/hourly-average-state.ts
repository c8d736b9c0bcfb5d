// Bench stage: the same hourly averages as hourly-average.ts, written with
// the plain key/value state instead of ctx.windows: one entry per meter
// (the hour in progress), emitted when the meter's first reading of a later
// hour arrives. One state write per reading and no window index, so the
// stateful scenario can show what the windows engine costs on top of the
// state store. Needs each meter's readings in event-time order.
import { defineStage, type StateStore } from '@seda/core';

/** The hour in progress of one meter. */
export interface Hour {
  start: number;
  count: number;
  sum: number;
}

const HOUR = 3_600_000;

/**
 * Folds a reading into its meter's hour in `state`; returns the hour it
 * closed (the meter's first reading of a later hour closes the previous one).
 */
export async function foldHour(state: StateStore, meter: string, v: { kwh: number; ts: number }): Promise<Hour | undefined> {
  const start = Math.floor(v.ts / HOUR) * HOUR;
  const hour = (await state.get(meter)) as Hour | undefined;
  const same = hour !== undefined && hour.start === start;
  state.put(meter, { start, count: same ? hour.count + 1 : 1, sum: same ? hour.sum + v.kwh : v.kwh });
  return hour !== undefined && hour.start < start ? hour : undefined;
}

export default defineStage({
  name: 'bench-hourly-average-state',
  input: { topic: 'bench-in', codec: 'json' },
  outputs: { averages: { topic: 'bench-out', codec: 'json' } },
  state: {},
  async process(record, ctx) {
    const closed = await foldHour(ctx.state, String(record.key), record.value as { kwh: number; ts: number });
    if (closed !== undefined) ctx.emit('averages', { value: { start: closed.start, count: closed.count, sum: closed.sum, avg: closed.sum / closed.count } });
  },
});
