import { defineScenario, echoPipeline } from '../src/index.js';

const GROUPS = 3;

/** fanout: one input topic read by 3 consumer groups (one process each), each writing its own output. */
export default defineScenario({
  name: 'fanout',
  description: `one topic, ${GROUPS} consumer groups (one process each), each passing every record to its own output`,
  systems: [
    { id: 'raw', label: 'raw node-rdkafka', baseline: true },
    { id: 'seda', label: 'seda' },
  ],
  defaults: { messages: 500_000, quickMessages: 50_000 },
  latencyPhase: true,
  measure(ctx, system, phase) {
    const run = system.id === 'seda' ? { id: 'seda', kind: 'seda-stage' as const, stagePath: ctx.options.stages.identity } : { id: 'raw', kind: 'raw-passthrough' as const };
    return echoPipeline(ctx, run, phase, { groups: GROUPS });
  },
  targets: [],
  notes: [
    `throughput: input messages per second once all ${GROUPS} groups delivered them (each group processes every message); CPU per 1M counts every group's processing; peak RSS is the largest of the ${GROUPS} processes`,
  ],
});
