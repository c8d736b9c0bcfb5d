/**
 * Bench: what the lineage header costs node-rdkafka's `produce()` call
 * (issue 16), in one process against the embedded broker: N calls with 100 B
 * values and no header, seda's one string header (`seda.lineage:
 * <group>/<topic>:<partition>:<offset>:<index>`, built per call as seda builds
 * it), the same value as a Buffer, and a shorter string (offset and index
 * only), each variant in 5 rounds of alternating order. Not a timed test: it prints
 * µs per call (the produce call only, delivery not awaited).
 *
 *   npx tsc -b && node bench/dist/scenarios/header-cost.js [--calls 300000]
 */
import Kafka from 'node-rdkafka';
import { lineageHeader } from '@seda/core';
import { producerDefaults, startBroker } from '@seda/kafka';

const i = process.argv.indexOf('--calls');
const calls = i > 0 ? Number(process.argv[i + 1]) : 300_000;
const topic = 'header-cost';
const prefix = 'bench-group-0/bench-in:3:';

type Variant = { name: string; headers: (n: number) => Kafka.MessageHeader[] | undefined };
const variants: Variant[] = [
  { name: 'no header', headers: () => undefined },
  { name: 'string header (seda\'s)', headers: (n) => [{ [lineageHeader]: `${prefix}${n}:0` }] },
  { name: 'Buffer header', headers: (n) => [{ [lineageHeader]: Buffer.from(`${prefix}${n}:0`) }] },
  { name: 'short string header (offset:index)', headers: (n) => [{ [lineageHeader]: `${n}:0` }] },
];

const broker = await startBroker({ brokers: 1 });
try {
  await broker.createTopic(topic, 8);
  const producer = new Kafka.Producer({ 'bootstrap.servers': broker.bootstrap, dr_cb: false, ...producerDefaults, 'queue.buffering.max.messages': 2_000_000 });
  await new Promise<void>((resolve, reject) => producer.connect({ timeout: 15_000 }, (err) => (err ? reject(err) : resolve())));
  producer.setPollInterval(5);
  const value = Buffer.alloc(100, 1);
  const perCall = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let round = 0; round < 5; round++) {
    for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
      const t0 = process.hrtime.bigint();
      for (let n = 0; n < calls; n++) producer.produce(topic, n & 7, value, null, null, null, v.headers(n));
      const us = Number(process.hrtime.bigint() - t0) / 1e3 / calls;
      perCall.get(v.name)!.push(us);
      await new Promise<void>((resolve) => producer.flush(60_000, () => resolve()));
    }
  }
  const base = Math.min(...perCall.get('no header')!);
  for (const [name, us] of perCall) {
    const best = Math.min(...us);
    const median = [...us].sort((a, b) => a - b)[2];
    process.stdout.write(`${name.padEnd(36)} best ${best.toFixed(2)} µs, median ${median.toFixed(2)} µs per produce() (5 rounds), best +${(best - base).toFixed(2)} µs over no header\n`);
  }
  await new Promise<void>((resolve) => producer.disconnect(10_000, () => resolve()));
} finally {
  await broker.stop();
}
