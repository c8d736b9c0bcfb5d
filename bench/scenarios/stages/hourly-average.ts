// Bench stage: count and sum of kWh per meter per event-time hour, in 1-hour
// tumbling windows kept in state (LevelDB; offsets stored with it), emitting
// each final window. A bench-local copy of the shape of stages/consumption-average
// (see test/fixtures/hourly.ts); `seda bench stateful --stage <path>` measures
// another stage module with the same input instead.
import { defineStage } from '@seda/core';

interface Hour {
  count: number;
  sum: number;
}

export default defineStage({
  name: 'bench-hourly-average',
  input: { topic: 'bench-in', codec: 'json' },
  outputs: { averages: { topic: 'bench-out', codec: 'json' } },
  state: { windows: { size: '1h', grace: '0ms', retention: '2h' } },
  async process(record, ctx) {
    const v = record.value as { kwh: number; ts: number };
    await ctx.windows.aggregate(String(record.key), v.ts, (acc?: Hour) => ({ count: (acc?.count ?? 0) + 1, sum: (acc?.sum ?? 0) + v.kwh }));
  },
  onWindow(w, ctx) {
    const h = w.value as Hour;
    ctx.emit('averages', { key: w.key, value: { start: w.start, count: h.count, sum: h.sum, avg: h.sum / h.count } });
  },
});
