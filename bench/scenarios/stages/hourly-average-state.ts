// Bench stage: the same hourly averages as hourly-average.ts, written with
// the plain key/value state instead of ctx.windows: one entry per meter
// (the hour in progress), emitted when the meter's first reading of a later
// hour arrives. One state write per reading and no window index, so the
// stateful scenario can show what the windows engine costs on top of the
// state store. Needs each meter's readings in event-time order.
import { defineStage } from '@seda/core';

interface Hour {
  start: number;
  count: number;
  sum: number;
}

const HOUR = 3_600_000;

export default defineStage({
  name: 'bench-hourly-average-state',
  input: { topic: 'bench-in', codec: 'json' },
  outputs: { averages: { topic: 'bench-out', codec: 'json' } },
  state: {},
  async process(record, ctx) {
    const v = record.value as { kwh: number; ts: number };
    const meter = String(record.key);
    const start = Math.floor(v.ts / HOUR) * HOUR;
    const hour = (await ctx.state.get(meter)) as Hour | undefined;
    if (hour !== undefined && hour.start < start) {
      ctx.emit('averages', { value: { start: hour.start, count: hour.count, sum: hour.sum, avg: hour.sum / hour.count } });
    }
    const same = hour !== undefined && hour.start === start;
    ctx.state.put(meter, { start, count: same ? hour.count + 1 : 1, sum: same ? hour.sum + v.kwh : v.kwh });
  },
});
