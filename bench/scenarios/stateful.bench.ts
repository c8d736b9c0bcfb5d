import { atLeastTimes, defineScenario, memoryTarget, readingsPipeline } from '../src/index.js';

/**
 * stateful: hourly average per meter (1-hour tumbling windows, LevelDB state
 * with offsets per batch) over meter readings, against seda passthrough and
 * raw node-rdkafka passthrough of the same readings in the same run.
 */
export default defineScenario({
  name: 'stateful',
  description: 'hourly average per meter (1 h tumbling windows, LevelDB state + offsets per batch, changelog on) vs passthrough of the same readings',
  systems: [
    { id: 'raw', label: 'raw node-rdkafka passthrough', baseline: true },
    { id: 'seda', label: 'seda passthrough' },
    { id: 'stateful', label: 'seda hourly average' },
    { id: 'kv', label: 'seda hourly average, key/value state' },
    { id: 'join', label: 'seda hourly average, key/value state + tariffs table join' },
  ],
  defaults: { messages: 1_000_000, quickMessages: 100_000 },
  latencyPhase: false,
  measure(ctx, system) {
    const o = ctx.options;
    if (system.id === 'stateful') return readingsPipeline(ctx, { id: 'stateful', kind: 'seda-stage', stagePath: o.stages.stateful }, 'windows');
    if (system.id === 'kv') return readingsPipeline(ctx, { id: 'kv', kind: 'seda-stage', stagePath: o.stages.statefulKv }, 'windows');
    if (system.id === 'join') return readingsPipeline(ctx, { id: 'join', kind: 'seda-stage', stagePath: o.stages.statefulJoin }, 'windows');
    if (system.id === 'seda') return readingsPipeline(ctx, { id: 'seda', kind: 'seda-stage', stagePath: o.stages.identity }, 'readings');
    return readingsPipeline(ctx, { id: 'raw', kind: 'raw-passthrough' }, 'readings');
  },
  // The targets of issue 16: the stateful stages with their changelog on, as `seda run` runs them.
  targets: [
    atLeastTimes('key/value state, changelog on: >= 0.60x seda passthrough (msg/s)', 'kv', 'seda', 'msgsPerSec', 0.6),
    atLeastTimes('windows (hourly average), changelog on: >= 0.50x seda passthrough (msg/s)', 'stateful', 'seda', 'msgsPerSec', 0.5),
    memoryTarget('hourly average peak RSS < 300 MB and flat (growth <= 30 MB between the first and last 100k)', 'stateful', 300, 30),
  ],
  notes: [
    'the stateful stages run as seda run runs them: LevelDB state with its changelog topic (<group>-<stage>-changelog), each batch\'s changelog records delivered before its local write',
    'seda hourly average: ctx.windows (1 h tumbling, like test/fixtures/hourly.ts, or --stage); key/value state: the same averages with ctx.state, one entry per meter, to show what the windows engine adds',
    'stream-table join: the key/value stage, each reading joined with its meter\'s tariff from the co-partitioned table bench-tariffs (preloaded, one record per meter; table records applied in timestamp order, their position written with the state); a --stage with tables gets its table topics preloaded the same way',
    'readings: JSON {kwh, ts, n} keyed by meter, every meter every 15 minutes of event time, in event-time order; the hourly stage\'s outputs are checked against the windows, readings and kWh the input must give',
    'throughput: from the moment the system had consumed the warm-up until its last expected output was delivered; no latency figures (a window result has no single input record)',
  ],
});
