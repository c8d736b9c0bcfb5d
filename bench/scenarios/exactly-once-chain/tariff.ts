// Bench stage A of the exactly-once chain: prices each reading, re-keyed by meter.
import { defineStage } from '@seda/core';

export default defineStage({
  name: 'bench-tariff',
  input: { topic: 'bench-readings', codec: 'json' },
  outputs: { costs: { topic: 'bench-costs', codec: 'json' } },
  process(record, ctx) {
    const r = record.value as { meter: string; q: number; ts: number };
    ctx.emit('costs', { key: r.meter, value: { cost: r.q * (10 + (r.q % 7)), ts: r.ts } });
  },
});
