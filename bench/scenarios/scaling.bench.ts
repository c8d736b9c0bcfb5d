import { atLeastTimes, defineScenario, echoPipeline, ratioInfo, warmupFor, type ScenarioContext } from '../src/index.js';

/** The CPU-bound stage gets a tenth of the messages: it is about ten times slower per record. */
function cpuBound(ctx: ScenarioContext): ScenarioContext {
  const messages = Math.max(2000, Math.round(ctx.options.messages / 10));
  return { ...ctx, options: { ...ctx.options, messages, warmup: warmupFor(messages) } };
}

/**
 * scaling: passthrough with 1 and 2 worker processes in one group, and the
 * same for a CPU-bound stage (~100 µs of work per record) over preloaded
 * input (measured once the load is written), where the stage rather than the
 * broker and the load generator is what needs the cores.
 */
export default defineScenario({
  name: 'scaling',
  description: 'passthrough, and a CPU-bound stage over preloaded input, with 1 and 2 worker processes in one consumer group',
  systems: [
    { id: 'raw', label: 'raw x1', baseline: true },
    { id: 'raw2', label: 'raw x2' },
    { id: 'seda', label: 'seda x1' },
    { id: 'seda2', label: 'seda x2' },
    { id: 'cpu', label: 'seda CPU-bound x1, preloaded' },
    { id: 'cpu2', label: 'seda CPU-bound x2, preloaded' },
  ],
  defaults: { messages: 1_000_000, quickMessages: 100_000 },
  latencyPhase: false,
  measure(ctx, system, phase) {
    const instances = system.id.endsWith('2') ? 2 : 1;
    if (system.id.startsWith('cpu')) return echoPipeline(cpuBound(ctx), { id: system.id, kind: 'seda-stage', stagePath: ctx.options.stages.cpuWork }, phase, { instances, preload: true });
    const run = system.id.startsWith('seda') ? { id: system.id, kind: 'seda-stage' as const, stagePath: ctx.options.stages.identity } : { id: system.id, kind: 'raw-passthrough' as const };
    return echoPipeline(ctx, run, phase, { instances });
  },
  // The target of issue 16: a scenario that can show scaling on 2 shared cores.
  targets: [
    atLeastTimes('CPU-bound stage over preloaded input: seda x2 >= 1.6x seda x1 (msg/s)', 'cpu2', 'cpu', 'msgsPerSec', 1.6),
    ratioInfo('passthrough: seda x2 / seda x1 (msg/s; the broker and the load generator share the cores)', 'seda2', 'seda', 'msgsPerSec'),
    ratioInfo('passthrough: raw x2 / raw x1 (msg/s)', 'raw2', 'raw', 'msgsPerSec'),
  ],
  notes: [
    'the "cores busy" rows show where the machine\'s cores went: when the system, the broker, the load generator and the observer already keep both cores busy with one instance, a second instance can only share them',
    'the CPU-bound stage does ~100 µs of SHA-256 per record and gets a tenth of the messages, preloaded: the generator writes them all at once and the window starts when it is done, so the load generator does not share the cores; its ratio to raw compares different work and only its x2/x1 matters',
  ],
});
