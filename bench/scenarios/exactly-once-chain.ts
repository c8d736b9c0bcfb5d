/**
 * Bench: throughput of a two-stage chain, source -> A (stateless, re-keying)
 * -> B (stateful), with B in `exactly-once` mode (lineage dedupe) against B
 * in `state` mode (duplicates applied: the chain is at-least-once), measured
 * alternately in one run on one embedded broker, as real `seda run`
 * processes. Target: exactly-once >= 0.8x the at-least-once chain.
 *
 *   npx tsc -b && node bench/dist/scenarios/exactly-once-chain.js [--records 100000] [--rounds 3]
 *
 * Each round creates fresh topics, starts A and B, waits until both have
 * their partitions, then produces the records as fast as a raw producer can;
 * the time runs from the first produce to B having committed every record A
 * emitted. Prints one JSON line per run and a summary with the median ratio.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Kafka from 'node-rdkafka';
import { groupLag, startBroker, type EmbeddedBroker } from '@seda/kafka';

const sedaBin = fileURLToPath(new URL('../../../packages/cli/bin/seda.js', import.meta.url));
const stage = (name: string): string => fileURLToPath(new URL(`./exactly-once-chain/${name}.js`, import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Proc {
  child: ChildProcess;
  assigned: Promise<void>;
}

function run(args: string[]): Proc {
  const child = spawn(process.execPath, [sedaBin, 'run', ...args, '--log-level', 'info'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let buf = '';
  const assigned = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('"partitions assigned"')) resolve();
      if (buf.length > 1_000_000) buf = buf.slice(-10_000);
    });
    child.on('exit', (code) => reject(new Error(`seda run exited (${code}) before it was assigned partitions:\n${buf.slice(-2000)}`)));
  });
  assigned.catch(() => {});
  return { child, assigned };
}

async function stop(p: Proc): Promise<void> {
  if (p.child.exitCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGTERM');
  await Promise.race([exited, sleep(30_000).then(() => p.child.kill('SIGKILL'))]);
}

async function produce(brokers: string, topic: string, records: number): Promise<void> {
  const producer = new Kafka.Producer({ 'bootstrap.servers': brokers, dr_cb: true, 'linger.ms': 5, 'queue.buffering.max.messages': 500_000 });
  await new Promise<void>((resolve, reject) => producer.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())));
  producer.setPollInterval(5);
  let acked = 0;
  producer.on('delivery-report', () => acked++);
  for (let i = 0; i < records; i++) {
    const value = Buffer.from(JSON.stringify({ meter: `meter${(i * 7) % 500}`, q: (i * 2654435761) % 41, ts: i }));
    for (;;) {
      try {
        producer.produce(topic, i % 4, value, `site-${i % 4}`);
        break;
      } catch {
        await sleep(2);
      }
    }
  }
  while (acked < records) await sleep(5);
  await new Promise<void>((resolve) => producer.disconnect(5000, () => resolve()));
}

async function drained(brokers: string, group: string, topic: string, expected: number): Promise<boolean> {
  const lag = await groupLag(brokers, group, [topic]).catch(() => []);
  return lag.length > 0 && lag.every((l) => l.lag === 0) && lag.reduce((n, l) => n + l.committed, 0) >= expected;
}

async function round(broker: EmbeddedBroker, mode: 'state' | 'exactly-once', records: number, n: number): Promise<number> {
  const brokers = broker.bootstrap;
  const src = `eo-bench-src-${n}`;
  const mid = `eo-bench-mid-${n}`;
  await broker.createTopic(src, 4);
  await broker.createTopic(mid, 4);
  // B's state changelog (seda run opens <group>-<stage>-changelog); the in-process broker has no control channel to create it.
  await broker.createTopic(`b-${n}-bench-meter-totals-changelog`, 4);
  const dir = mkdtempSync(join(tmpdir(), 'seda-eo-bench-'));
  const common = ['--brokers', brokers, '--from-beginning', '--commit-interval', '200'];
  const a = run([stage('tariff'), '--input', src, '--output', `costs=${mid}`, '--group', `a-${n}`, ...common]);
  const b = run([stage('meter-totals'), '--input', mid, '--group', `b-${n}`, '--mode', mode, '--state-dir', dir, ...common]);
  try {
    await Promise.all([a.assigned, b.assigned]);
    const started = performance.now();
    await produce(brokers, src, records);
    const deadline = Date.now() + 600_000;
    while (!(await drained(brokers, `b-${n}`, mid, records))) {
      if (Date.now() > deadline) throw new Error(`round ${n} (${mode}) did not drain within 10 minutes`);
      await sleep(50);
    }
    return records / ((performance.now() - started) / 1000);
  } finally {
    await Promise.all([stop(a), stop(b)]);
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  const records = arg('records', 100_000);
  const rounds = arg('rounds', 3);
  const broker = await startBroker({ brokers: 1 });
  const results: { [mode: string]: number[] } = { state: [], 'exactly-once': [] };
  let n = 0;
  try {
    for (let r = 0; r < rounds; r++) {
      for (const mode of ['state', 'exactly-once'] as const) {
        const perSecond = await round(broker, mode, records, n++);
        results[mode].push(perSecond);
        process.stdout.write(`${JSON.stringify({ scenario: 'exactly-once-chain', round: r, mode, records, recordsPerSecond: Math.round(perSecond) })}\n`);
      }
    }
  } finally {
    await broker.stop(5000);
  }
  const alo = median(results.state);
  const eo = median(results['exactly-once']);
  const ratio = eo / alo;
  process.stdout.write(
    `${JSON.stringify({ scenario: 'exactly-once-chain', records, rounds, atLeastOnceMedian: Math.round(alo), exactlyOnceMedian: Math.round(eo), ratio: Number(ratio.toFixed(3)), target: 0.8, met: ratio >= 0.8 })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`error: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
