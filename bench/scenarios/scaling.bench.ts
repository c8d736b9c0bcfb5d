import { atLeastTimes, defineScenario, echoPipeline } from '../src/index.js';

/** scaling: passthrough with 1 and 2 worker processes in one group. */
export default defineScenario({
  name: 'scaling',
  description: 'passthrough with 1 and 2 worker processes in one consumer group',
  systems: [
    { id: 'raw', label: 'raw x1', baseline: true },
    { id: 'raw2', label: 'raw x2' },
    { id: 'seda', label: 'seda x1' },
    { id: 'seda2', label: 'seda x2' },
  ],
  defaults: { messages: 1_000_000, quickMessages: 100_000 },
  latencyPhase: false,
  measure(ctx, system, phase) {
    const instances = system.id.endsWith('2') ? 2 : 1;
    const run = system.id.startsWith('seda') ? { id: system.id, kind: 'seda-stage' as const, stagePath: ctx.options.stages.identity } : { id: system.id, kind: 'raw-passthrough' as const };
    return echoPipeline(ctx, run, phase, { instances });
  },
  targets: [atLeastTimes('seda x2 >= 1.6x seda x1 (msg/s)', 'seda2', 'seda', 'msgsPerSec', 1.6)],
  notes: [
    'the "cores busy" rows show where the machine\'s cores went: with the broker, the load generator and the observer on the same cores, a second instance can only use what the first left idle',
  ],
});
