import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Kafka from 'node-rdkafka';
import { lineageHeader, parseLineage, type StageCounters } from '@seda/core';
import { connectClient, disconnectClient, groupLag } from '@seda/kafka';
import { openStateStore } from '@seda/state';
import { price, surcharge } from './fixtures/tariff.js';
import type { Total } from './fixtures/meter-totals.js';
import { createTestTopic, testBroker } from './support/broker.js';
import { startSeda, waitFor, type SedaProcess } from './support/process.js';
import { readAll } from './support/topic-io.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));
const fast = ['--kafka', 'session.timeout.ms=6000', '--kafka', 'heartbeat.interval.ms=500', '--commit-interval', '200'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Reading {
  partition: number;
  meter: string;
  q: number;
  ts: number;
}

/** Deterministic readings over 3 source partitions and 50 meters; q in quarter-kWh. */
function readings(count: number, from = 0): Reading[] {
  return Array.from({ length: count }, (_, j) => {
    const i = from + j;
    return { partition: i % 3, meter: `meter${(i * 7) % 50}`, q: (i * 2654435761) % 41, ts: Date.UTC(2026, 0, 1) + i * 1000 };
  });
}

function groundTruth(rows: Reading[]): Map<string, Total> {
  const truth = new Map<string, Total>();
  for (const r of rows) {
    const t = truth.get(r.meter) ?? { count: 0, cost: 0 };
    t.count++;
    t.cost += r.q * price(r.meter);
    if (surcharge(r.q) > 0) {
      t.count++;
      t.cost += surcharge(r.q);
    }
    truth.set(r.meter, t);
  }
  return truth;
}

/** A producer that stays connected while the test feeds the source topic at a steady pace. */
async function openProducer(brokers: string): Promise<{ send(topic: string, rows: Reading[]): Promise<void>; close(): Promise<void> }> {
  const producer = new Kafka.Producer({ 'bootstrap.servers': brokers, dr_cb: true, 'enable.idempotence': true, 'linger.ms': 5 });
  await connectClient(producer, 10_000);
  producer.setPollInterval(10);
  let acked = 0;
  let sent = 0;
  let failed: Error | undefined;
  producer.on('delivery-report', (err) => {
    if (err) failed = new Error(err.message);
    acked++;
  });
  return {
    async send(topic, rows) {
      for (const r of rows) {
        producer.produce(topic, r.partition, Buffer.from(JSON.stringify({ meter: r.meter, q: r.q, ts: r.ts })), `site-${r.partition}`);
        sent++;
      }
      await waitFor(() => acked >= sent || failed !== undefined, 30_000, 'source records acknowledged', 10);
      if (failed) throw failed;
    },
    close: async () => void (await disconnectClient(producer, { timeoutMs: 10_000, flushMs: 5000 })),
  };
}

/** Every (meter -> total) in a stopped stage's LevelDB store; seda's reserved (NUL-prefixed) keys left out. */
async function storedTotals(dir: string, topic: string, partitions: number): Promise<Map<string, Total>> {
  const store = await openStateStore({ dir });
  const found = new Map<string, Total>();
  try {
    for (let p = 0; p < partitions; p++) {
      for await (const [k, v] of store.entries(topic, p)) if (!k.startsWith('\u0000')) found.set(k, v as Total);
    }
  } finally {
    await store.close();
  }
  return found;
}

function compare(found: Map<string, Total>, truth: Map<string, Total>): string[] {
  const mismatches: string[] = [];
  for (const [meter, want] of truth) {
    const got = found.get(meter);
    if (!got || got.count !== want.count || got.cost !== want.cost) mismatches.push(`${meter}: want ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  }
  for (const meter of found.keys()) if (!truth.has(meter)) mismatches.push(`${meter}: not in the input`);
  return mismatches;
}

async function drained(group: string, topic: string, partitions: number): Promise<boolean> {
  const lag = await groupLag(testBroker().bootstrap, group, [topic]).catch(() => []);
  return lag.length === partitions && lag.every((l) => l.lag === 0 && l.committed === l.high);
}

/** Kills a stage `kills` times at random moments once it has partitions, restarting it each time; returns the last process. */
async function torture(args: string[], env: NodeJS.ProcessEnv, kills: number, seed: number, log: { kills: number }): Promise<SedaProcess> {
  let rng = seed;
  let p = startSeda(args, { env });
  for (let k = 0; k < kills; k++) {
    await p.waitForLog((l) => l.msg === 'partitions assigned', 60_000, 'assignment');
    rng = (rng * 48271) % 2147483647;
    await sleep(300 + (rng % 1500));
    p.kill('SIGKILL');
    await p.exited(10_000);
    log.kills++;
    p = startSeda(args, { env });
  }
  return p;
}

describe('exactly-once across a chain (lineage, real processes)', function () {
  this.timeout(300_000);

  it('source -> A (at-least-once, re-keying) -> B (exactly-once): both SIGKILLed 10+ times, every total in B exact although the topic between them holds duplicates', async () => {
    const brokers = testBroker().bootstrap;
    const source = await createTestTopic('eo-src', 3);
    const mid = await createTestTopic('eo-mid', 4);
    const aGroup = 'eo-tariff';
    const bGroup = 'eo-totals';
    const bDir = mkdtempSync(join(tmpdir(), 'seda-eo-b-'));
    const aArgs = ['run', fixture('tariff'), '--brokers', brokers, '--input', source, '--output', `costs=${mid}`, '--group', aGroup, '--from-beginning', ...fast];
    const bArgs = ['run', fixture('meter-totals'), '--brokers', brokers, '--input', mid, '--group', bGroup, '--mode', 'exactly-once', '--from-beginning', '--state-dir', bDir, ...fast];
    const env = { SEDA_FIXTURE_PAUSE_EVERY: '50', SEDA_FIXTURE_PAUSE_MS: '10', SEDA_LOG_LEVEL: 'info' };

    // The source producer feeds a steady stream while both stages are killed and restarted.
    const producer = await openProducer(brokers);
    const rows: Reading[] = [];
    let feeding = true;
    const feed = (async () => {
      while (feeding && rows.length < 40_000) {
        const chunk = readings(100, rows.length);
        rows.push(...chunk);
        await producer.send(source, chunk);
        await sleep(200);
      }
    })();
    const aKills = { kills: 0 };
    const bKills = { kills: 0 };
    let a: SedaProcess | undefined;
    let b: SedaProcess | undefined;
    try {
      [a, b] = await Promise.all([torture(aArgs, env, 10, 11, aKills), torture(bArgs, env, 10, 29, bKills)]);
      feeding = false;
      await feed;
      // A last chunk after the last restarts, so each stage commits past everything it read before.
      const last = readings(300, rows.length);
      rows.push(...last);
      await producer.send(source, last);
      await waitFor(async () => (await drained(aGroup, source, 3)) && (await drained(bGroup, mid, 4)), 120_000, 'A and B to drain', 500).catch((err: Error) => {
        throw new Error(`${err.message}\nA stderr:\n${a!.stderr().slice(-2000)}\nB stderr:\n${b!.stderr().slice(-2000)}`);
      });
      for (const p of [a, b]) {
        await p.waitForLog((l) => l.msg === 'stage started', 60_000, 'the last process to start');
        p.kill('SIGTERM');
        expect((await p.exited(60_000)).code).to.equal(0);
      }
    } finally {
      feeding = false;
      await feed.catch(() => {});
      await producer.close();
      a?.kill('SIGKILL');
      b?.kill('SIGKILL');
    }
    expect(aKills.kills).to.be.at.least(10);
    expect(bKills.kills).to.be.at.least(10);

    const truth = groundTruth(rows);
    const mismatches = compare(await storedTotals(bDir, mid, 4), truth);
    expect(mismatches, mismatches.slice(0, 5).join('\n')).to.deep.equal([]);

    // The topic between A and B really holds duplicates: more records than distinct lineages.
    const onMid = await readAll(brokers, mid, { idleMs: 1500, timeoutMs: 60_000 });
    const lineages = new Set<string>();
    for (const r of onMid) {
      const l = parseLineage(r.headers[lineageHeader]);
      expect(l, `lineage of ${JSON.stringify(r)}`).to.not.equal(undefined);
      expect(l!.group).to.equal(aGroup);
      expect(l!.topic).to.equal(source);
      lineages.add(r.headers[lineageHeader]);
    }
    const expectedOutputs = [...truth.values()].reduce((n, t) => n + t.count, 0);
    expect(lineages.size).to.equal(expectedOutputs);
    const duplicates = onMid.length - lineages.size;
    expect(duplicates, 'duplicates on the intermediate topic').to.be.greaterThan(0);

    // A fresh B over the whole intermediate topic skips exactly the duplicates, and ends with the same totals.
    const verifyDir = mkdtempSync(join(tmpdir(), 'seda-eo-verify-'));
    const verify = startSeda([
      'run', fixture('meter-totals'), '--brokers', brokers, '--input', mid, '--group', 'eo-verify', '--mode', 'exactly-once', '--from-beginning',
      '--state-dir', verifyDir, '--metrics-port', '0', ...fast,
    ]);
    const port = ((await verify.waitForLog((l) => typeof l.port === 'number' && String(l.msg).startsWith('metrics at'), 30_000, 'the metrics endpoint')) as { port: number }).port;
    await waitFor(() => drained('eo-verify', mid, 4), 120_000, 'the verifying B to drain', 500);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    verify.kill('SIGTERM');
    expect((await verify.exited(60_000)).code).to.equal(0);
    const stopped = verify.logs().find((l) => l.msg === 'stage stopped') as { counters: StageCounters };
    expect(stopped.counters.recordsIn).to.equal(onMid.length);
    expect(stopped.counters.duplicatesSkipped).to.equal(duplicates);
    expect(stopped.counters.unlineaged).to.equal(0);
    const exported = (name: string): number => Number(/^(\S+)\{[^}]*\} (\S+)$/m.exec(metrics.split('\n').find((l) => l.startsWith(`${name}{`)) ?? '')?.[2]);
    expect(exported('seda_duplicates_skipped_total'), 'exported as a metric').to.equal(duplicates);
    expect(exported('seda_unlineaged_records_total')).to.equal(0);
    expect(compare(await storedTotals(verifyDir, mid, 4), truth)).to.deep.equal([]);
    console.log(
      `      figures: ${rows.length} readings; SIGKILLs A ${aKills.kills}, B ${bKills.kills}; ${onMid.length} records between A and B, ` +
        `${duplicates} of them duplicates, all ${stopped.counters.duplicatesSkipped} skipped by a fresh B; mismatches ${mismatches.length}`,
    );
  });
});
