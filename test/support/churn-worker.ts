// Client churn, in one process: N cycles of start -> process new records ->
// stop of a stateful stage (consumer, producer, changelog producer and reader,
// LevelDB), each cycle bounded. Prints one JSON line of figures per sample and
// a last line {"done":...}. Usage:
//   node churn-worker.js <brokers> <input> <output> <stateDir> <cycles> <cycleTimeoutMs>
import { readdirSync, readFileSync } from 'node:fs';
import Kafka from 'node-rdkafka';
import { connectClient, disconnectClient, openChangelog } from '@seda/kafka';
import { runStage } from '@seda/runtime';
import { openStateStore } from '@seda/state';
import stage from '../fixtures/meter-totals.js';

const [brokers, input, output, stateDir, cyclesArg, cycleTimeoutArg] = process.argv.slice(2);
const cycles = Number(cyclesArg);
const cycleTimeoutMs = Number(cycleTimeoutArg);
const group = `${input}-churn`;
const perCycle = 20;

/** librdkafka threads of this process (named rdk:main, rdk:broker<n>, ...). */
function rdkThreads(): number {
  let n = 0;
  for (const t of readdirSync('/proc/self/task')) {
    try {
      if (readFileSync(`/proc/self/task/${t}/comm`, 'utf8').startsWith('rdk:')) n++;
    } catch {
      // the thread ended meanwhile
    }
  }
  return n;
}

const sample = (cycle: number): { cycle: number; threads: number; rdkThreads: number; fds: number; rssMiB: number } => ({
  cycle,
  threads: readdirSync('/proc/self/task').length,
  rdkThreads: rdkThreads(),
  fds: readdirSync('/proc/self/fd').length,
  rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
});

function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} took over ${cycleTimeoutMs} ms`)), cycleTimeoutMs).unref())]);
}

// The test's own producer lives across cycles (not churned): it feeds each cycle new records.
const producer = new Kafka.Producer({ 'bootstrap.servers': brokers, dr_cb: true, 'linger.ms': 1 });
await connectClient(producer, 10_000);
producer.setPollInterval(10);
let acked = 0;
producer.on('delivery-report', () => acked++);
const produced = async (n: number): Promise<void> => {
  const want = acked + n;
  for (let i = 0; i < n; i++) producer.produce(input, 0, Buffer.from(JSON.stringify({ cost: 1 })), Buffer.from(`m${i % 5}`));
  while (acked < want) await new Promise((r) => setTimeout(r, 5));
};

let total = 0;
for (let cycle = 1; cycle <= cycles; cycle++) {
  await produced(perCycle);
  total += perCycle;
  await bounded(
    (async () => {
      const t0 = Date.now();
      const changelog = await openChangelog({ brokers, topic: `${group}-${stage.name}-changelog`, partitions: 1 });
      const store = await openStateStore({ dir: stateDir, changelog });
      // A group per cycle: the embedded broker holds a left member's place until its session times out,
      // which would make every cycle wait ~session.timeout.ms for its assignment. State mode starts at the
      // stored offsets whatever the group, so the state stays exact across cycles.
      const running = await runStage(stage, { group: `${group}-${cycle}`, log: process.env.SEDA_CHURN_TIMING ? ((await import("pino")).default({ level: "debug" }, process.stderr) as never) : undefined, brokers, input, outputs: {}, state: store, fromBeginning: true, commitIntervalMs: 100, kafka: { 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500 } });
      const t1 = Date.now();
      // Processed: the stored offset reached everything produced so far.
      while ((await store.storedOffset(input, 0).catch(() => undefined)) !== total) await new Promise((r) => setTimeout(r, 20));
      const t2 = Date.now();
      await running.stop();
      const t3 = Date.now();
      await changelog.close();
      if (process.env.SEDA_CHURN_TIMING) process.stderr.write(`start ${t1 - t0} process ${t2 - t1} stop ${t3 - t2} changelog ${Date.now() - t3}\n`);
    })(),
    `cycle ${cycle}`,
  );
  if (cycle === 1 || cycle === 10 || cycle % 50 === 0 || cycle === cycles) process.stdout.write(`${JSON.stringify(sample(cycle))}\n`);
}
// The stage's own state: every record of every cycle applied once.
const store = await openStateStore({ dir: stateDir });
let count = 0;
for await (const [, v] of store.entries(input, 0)) count += (v as { count: number }).count;
await store.close();
await disconnectClient(producer, { timeoutMs: 10_000 });
process.stdout.write(`${JSON.stringify({ done: cycles, records: total, counted: count, output })}\n`);
