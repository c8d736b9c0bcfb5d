import { defineScenario, measureProducer, phaseLoad } from '../src/index.js';

/** produce: N messages of S bytes through seda's KafkaSink vs a raw node-rdkafka producer loop. */
export default defineScenario({
  name: 'produce',
  description: "messages through seda's KafkaSink vs a raw node-rdkafka producer loop",
  systems: [
    { id: 'raw', label: 'raw node-rdkafka', baseline: true },
    { id: 'seda', label: 'seda KafkaSink' },
  ],
  defaults: { messages: 2_000_000, quickMessages: 200_000 },
  latencyPhase: true,
  measure(ctx, system, phase) {
    const o = ctx.options;
    return measureProducer(
      { system: system.id, kind: system.id === 'seda' ? 'seda-produce' : 'raw-produce', phase, partitions: o.partitions, size: o.size, kafka: o.kafka, ...phaseLoad(ctx, phase) },
      ctx.harness,
    );
  },
  targets: [],
  notes: [
    'latency here: produce() call to its delivery report (seda: to the sink reporting the batch delivered; batches of 1000 at full speed, of what is due each millisecond at the fixed rate)',
    'both produce with seda\'s producer defaults (idempotent, linger.ms 5); the count written is checked against the topic\'s high watermarks',
  ],
});
