// Bench stage: the key/value hourly averages of hourly-average-state.ts,
// each reading also joined with its meter's tariff from the co-partitioned
// table `tariffs` (topic bench-tariffs, preloaded by the harness: one
// {"price": ...} per meter, keyed like the readings). Each closed hour is
// emitted with the price in force at its last reading, so the stateful
// scenario shows what a stream-table join costs on top of key/value state.
import { defineStage } from '@seda/core';
import { foldHour } from './hourly-average-state.js';

export default defineStage({
  name: 'bench-hourly-average-tariffs',
  input: { topic: 'bench-in', codec: 'json' },
  outputs: { averages: { topic: 'bench-out', codec: 'json' } },
  state: {},
  tables: { tariffs: { topic: 'bench-tariffs', codec: 'json' } },
  async process(record, ctx) {
    const meter = String(record.key);
    const tariff = (await ctx.tables.tariffs.get(meter)) as { price: number } | undefined;
    const closed = await foldHour(ctx.state, meter, record.value as { kwh: number; ts: number });
    if (closed !== undefined) {
      ctx.emit('averages', { value: { start: closed.start, count: closed.count, sum: closed.sum, avg: closed.sum / closed.count, price: tariff?.price ?? null } });
    }
  },
});
