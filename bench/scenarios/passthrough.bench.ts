import {
  assertPeerInstalled,
  atLeastTimes,
  atMostTimes,
  below,
  benchError,
  defineScenario,
  echoPipeline,
  memoryTarget,
  ratioInfo,
  type Measurement,
} from '../src/index.js';

/** Runs a peer; a failure that says the embedded broker lacks an API version it requires becomes "not measured", naming it. */
async function peer(run: () => Promise<Measurement>, pkg: string): Promise<Measurement> {
  assertPeerInstalled(pkg);
  try {
    return await run();
  } catch (err) {
    const message = (err as Error).message;
    if (/version of API is not supported/i.test(message)) {
      throw benchError('SEDA_BENCH_NOT_MEASURED', `${pkg} cannot talk to the embedded broker: ${message} (librdkafka's mock cluster serves ApiVersions v0-v2; see docs/bench-peers.md)`);
    }
    throw err;
  }
}

/**
 * passthrough: consume -> identity stage -> produce, at-least-once commits;
 * seda vs the raw node-rdkafka loop (plain, and writing seda's lineage
 * header), KafkaJS, @confluentinc/kafka-javascript and @platformatic/kafka.
 */
export default defineScenario({
  name: 'passthrough',
  description: 'consume -> identity stage -> produce, commits after delivery (at-least-once)',
  systems: [
    { id: 'raw', label: 'raw node-rdkafka', baseline: true },
    { id: 'rawh', label: 'raw node-rdkafka + lineage header' },
    { id: 'seda', label: 'seda' },
    { id: 'kafkajs', label: 'KafkaJS' },
    { id: 'confluent', label: 'confluent-kafka-javascript' },
    { id: 'platformatic', label: '@platformatic/kafka' },
  ],
  defaults: { messages: 1_000_000, quickMessages: 100_000 },
  latencyPhase: true,
  measure(ctx, system, phase) {
    switch (system.id) {
      case 'seda':
        return echoPipeline(ctx, { id: 'seda', kind: 'seda-stage', stagePath: ctx.options.stages.identity }, phase);
      case 'rawh':
        return echoPipeline(ctx, { id: 'rawh', kind: 'raw-passthrough', worker: { lineage: true } }, phase);
      case 'kafkajs':
        return echoPipeline(ctx, { id: 'kafkajs', kind: 'kafkajs-passthrough' }, phase);
      case 'confluent':
        return peer(() => echoPipeline(ctx, { id: 'confluent', kind: 'confluent-passthrough' }, phase), '@confluentinc/kafka-javascript');
      case 'platformatic':
        return peer(() => echoPipeline(ctx, { id: 'platformatic', kind: 'platformatic-passthrough' }, phase), '@platformatic/kafka');
      default:
        return echoPipeline(ctx, { id: 'raw', kind: 'raw-passthrough' }, phase);
    }
  },
  // The targets of issue 16.
  targets: [
    atLeastTimes('seda >= 0.90x raw node-rdkafka (msg/s)', 'seda', 'raw', 'msgsPerSec', 0.9),
    atLeastTimes('seda >= 0.95x raw node-rdkafka writing the same lineage header (msg/s): seda\'s own cost', 'seda', 'rawh', 'msgsPerSec', 0.95),
    ratioInfo('the lineage header\'s cost: raw + header / raw (msg/s)', 'rawh', 'raw', 'msgsPerSec'),
    atMostTimes('CPU s per 1M messages, seda / raw <= 1.15x', 'seda', 'raw', 'cpuSecPerM', 1.15),
    atLeastTimes('seda ahead of KafkaJS (msg/s)', 'seda', 'kafkajs', 'msgsPerSec', 1),
    atLeastTimes('seda ahead of @confluentinc/kafka-javascript (msg/s)', 'seda', 'confluent', 'msgsPerSec', 1),
    atLeastTimes('seda ahead of @platformatic/kafka (msg/s)', 'seda', 'platformatic', 'msgsPerSec', 1),
    below('seda p99 of one stage hop at the fixed rate < 30 ms', 'seda', 'rateP99', 30, 'ms'),
    memoryTarget('seda peak RSS < 250 MB and flat (growth <= 30 MB between the first and last 100k)', 'seda', 250, 30),
  ],
  notes: [
    'raw + lineage header: the raw loop writing the one string header seda writes on every output (seda.lineage: <group>/<topic>:<partition>:<offset>:<index>); seda / it is seda\'s own cost, it / raw the header\'s',
    'confluent-kafka-javascript (KafkaJS-style API) and @platformatic/kafka are opt-in: npm run bench:peers installs them into bench/peers; absent, they are reported "not measured"',
    'latency: the generator\'s produce time to the observer receiving the output (one stage hop plus the generator\'s 5 ms batching and the observer\'s own fetch wait, <= 5 ms)',
    'at full speed the generator stays at most maxLead messages ahead, so full-speed latency is mostly that queue (about maxLead / throughput)',
    'KafkaJS gets the same fetch wait as the librdkafka clients (10 ms; its default 5 s would stall on the embedded broker) and no idempotence (its idempotent producer allows one request in flight); at a fixed rate it sends each small fetched batch as its own produce request and the single-threaded embedded broker then works much harder for it (see "cores busy: broker"), so its fixed-rate latency says more about that broker than about KafkaJS',
  ],
});
