// Bench stage B of the exactly-once chain: per-meter count and sum in state.
import { defineStage } from '@seda/core';

export default defineStage({
  name: 'bench-meter-totals',
  input: { topic: 'bench-costs', codec: 'json' },
  state: {},
  async process(record, ctx) {
    const key = String(record.key);
    const t = ((await ctx.state.get(key)) as { count: number; cost: number } | undefined) ?? { count: 0, cost: 0 };
    ctx.state.put(key, { count: t.count + 1, cost: t.cost + (record.value as { cost: number }).cost });
  },
});
