// Bench figure (not a test): `seda ui` over 50 announced stages answering GET /api/graph.
// Starts an embedded broker, announces a chain of 50 stages (t0 -> s1 -> t1 -> ... -> s50 -> t50)
// with committed offsets and lag on every edge, serves the page, and prints the time of
// one full refresh (Kafka reads + layout) and of the graph API answering.
// Run: node bench/ui-graph.mjs   (after npx tsc -b packages/ui)
import Kafka from 'node-rdkafka';
import { startBroker } from '@seda/kafka';
import { announce, announceTopic } from '@seda/runtime';
import { serveUi } from '@seda/ui';

const stages = Number(process.argv[2] ?? 50);
const broker = await startBroker({ brokers: 1 });
const brokers = broker.bootstrap;
await broker.createTopic(announceTopic, 1);
for (let i = 0; i <= stages; i++) await broker.createTopic(`t${i}`, 2);

// Records on every topic, so every edge has lag (and a timestamp to read for lag in seconds).
const producer = new Kafka.Producer({ 'bootstrap.servers': brokers, 'linger.ms': 5 });
await new Promise((r, j) => producer.connect({}, (e) => (e ? j(e) : r())));
for (let i = 0; i <= stages; i++) for (let n = 0; n < 20; n++) producer.produce(`t${i}`, n % 2, Buffer.from(`v${n}`), null, Date.now() - 60_000);
await new Promise((r) => producer.flush(10_000, r));
producer.disconnect();
// Each stage's group commits offset 10 on both partitions of its input.
for (let i = 1; i <= stages; i++) {
  const c = new Kafka.KafkaConsumer({ 'bootstrap.servers': brokers, 'group.id': `g${i}`, 'enable.auto.commit': false }, {});
  await new Promise((r, j) => c.connect({}, (e) => (e ? j(e) : r())));
  c.commitSync([0, 1].map((partition) => ({ topic: `t${i - 1}`, partition, offset: 10 })));
  await new Promise((r) => c.disconnect(r));
}
const announced = [];
for (let i = 1; i <= stages; i++) {
  announced.push(await announce({ kind: 'stage', name: `s${i}`, group: `g${i}`, input: `t${i - 1}`, outputs: { out: `t${i}` }, dlq: `t${i - 1}.dlq`, mode: 'at-least-once' }, { brokers }));
}

const ui = await serveUi({ brokers, port: 0, refreshMs: 1000 });
let t = performance.now();
const first = await ui.snapshot();
const refreshMs = performance.now() - t;
const edges = first.edges.filter((e) => e.lag !== undefined).length;
const times = [];
for (let i = 0; i < 20; i++) {
  t = performance.now();
  const res = await fetch(`${ui.url}api/graph`);
  const body = await res.json();
  times.push(performance.now() - t);
  if (body.nodes.length < stages) throw new Error(`graph has ${body.nodes.length} nodes`);
}
times.sort((a, b) => a - b);
console.log(`ui graph over ${stages} announced stages: ${first.nodes.length} nodes, ${first.edges.length} edges (${edges} with lag)`);
console.log(`first full refresh (Kafka reads, lag in seconds, layout): ${refreshMs.toFixed(0)} ms`);
console.log(`GET /api/graph: median ${times[10].toFixed(1)} ms, max ${times[19].toFixed(1)} ms (20 calls)`);
await ui.close();
for (const a of announced) await a.stop();
await broker.stop(5000);
process.exit(0);
