import { atLeastTimes, below, defineScenario, echoPipeline, memoryTarget } from '../src/index.js';

/** passthrough: consume -> identity stage -> produce, at-least-once commits; seda vs raw node-rdkafka vs KafkaJS. */
export default defineScenario({
  name: 'passthrough',
  description: 'consume -> identity stage -> produce, commits after delivery (at-least-once)',
  systems: [
    { id: 'raw', label: 'raw node-rdkafka', baseline: true },
    { id: 'seda', label: 'seda' },
    { id: 'kafkajs', label: 'KafkaJS' },
  ],
  defaults: { messages: 1_000_000, quickMessages: 100_000 },
  latencyPhase: true,
  measure(ctx, system, phase) {
    if (system.id === 'seda') return echoPipeline(ctx, { id: 'seda', kind: 'seda-stage', stagePath: ctx.options.stages.identity }, phase);
    if (system.id === 'kafkajs') return echoPipeline(ctx, { id: 'kafkajs', kind: 'kafkajs-passthrough' }, phase);
    return echoPipeline(ctx, { id: 'raw', kind: 'raw-passthrough' }, phase);
  },
  targets: [
    atLeastTimes('seda >= 0.9x raw node-rdkafka (msg/s)', 'seda', 'raw', 'msgsPerSec', 0.9),
    atLeastTimes('seda >= 2x KafkaJS (msg/s)', 'seda', 'kafkajs', 'msgsPerSec', 2),
    below('seda p99 of one stage hop at the fixed rate < 50 ms', 'seda', 'rateP99', 50, 'ms'),
    memoryTarget('seda peak RSS < 300 MB and flat (growth <= 30 MB between the first and last 100k)', 'seda', 300, 30),
  ],
  notes: [
    'latency: the generator\'s produce time to the observer receiving the output (one stage hop plus the generator\'s 5 ms batching and the observer\'s own fetch wait, <= 5 ms)',
    'at full speed the generator stays at most maxLead messages ahead, so full-speed latency is mostly that queue (about maxLead / throughput)',
    'KafkaJS gets the same fetch wait as the librdkafka clients (10 ms; its default 5 s would stall on the embedded broker) and no idempotence (its idempotent producer allows one request in flight); at a fixed rate it sends each small fetched batch as its own produce request and the single-threaded embedded broker then works much harder for it (see "cores busy: broker"), so its fixed-rate latency says more about that broker than about KafkaJS',
  ],
});
