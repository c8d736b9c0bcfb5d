import { expect } from 'chai';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createMemoryState, defineStage, lineageHeader, parseLineage, stageFromTransform, type Stage } from '@seda/core';
import { groupLag } from '@seda/kafka';
import { describeChain, describeHop, loadStage, runStage } from '@seda/runtime';
import { openStateStore } from '@seda/state';
import { price, surcharge } from './fixtures/tariff.js';
import type { Total } from './fixtures/meter-totals.js';
import { createTestTopic, testBroker } from './support/broker.js';
import { runSeda, startSeda, waitFor, type SedaProcess } from './support/process.js';
import { produceRaw, readAll, type ReadRecord } from './support/topic-io.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));
const fast = ['--kafka', 'session.timeout.ms=6000', '--kafka', 'heartbeat.interval.ms=500', '--commit-interval', '200'];

async function drained(group: string, topic: string): Promise<boolean> {
  const lag = await groupLag(testBroker().bootstrap, group, [topic]).catch(() => []);
  return lag.length > 0 && lag.every((l) => l.lag === 0 && l.committed === l.high);
}

describe('exactly-once refusals', function () {
  this.timeout(60_000);

  it('seda run --mode exactly-once refuses a non-deterministic stage with one clear error, before touching Kafka or the state directory', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'seda-dice-')), 'state');
    // An unreachable broker: the refusal comes first.
    const r = await runSeda(['run', fixture('dice'), '--brokers', '127.0.0.1:1', '--mode', 'exactly-once', '--state-dir', dir], { timeoutMs: 30_000 });
    expect(r.code).to.equal(1);
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('error: '))).to.deep.equal([
      'error: stage "dice" declares deterministic: false, so a replay may emit other outputs; it cannot run exactly-once. Use mode "state"',
    ]);
    expect(existsSync(dir), 'state directory created').to.equal(false);
  });

  it('runStage refuses exactly-once for a non-deterministic stage and for a hand-written Transform (SEDA_RUNTIME_MODE)', async () => {
    const dice = await loadStage(fixture('dice'));
    const handWritten = stageFromTransform(() => new Transform({ objectMode: true, transform: (b, _e, cb) => cb(null, b) }), { name: 'raw', input: 'in' });
    for (const stage of [dice, handWritten]) {
      const err = await runStage(stage, { brokers: '127.0.0.1:1', mode: 'exactly-once', state: createMemoryState(), checkTopics: false }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, stage.name).to.have.property('code', 'SEDA_RUNTIME_MODE');
    }
  });

  it('seda run --mode exactly-once refuses a stage reading a global table, naming the stage and the table, before touching Kafka', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'seda-global-')), 'state');
    const r = await runSeda(['run', fixture('site-lookup'), '--brokers', '127.0.0.1:1', '--mode', 'exactly-once', '--state-dir', dir], { timeoutMs: 30_000 });
    expect(r.code).to.equal(1);
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('error: '))).to.deep.equal([
      'error: stage "site-lookup" reads global table "sites", which is not ordered with the stream, so a replay may emit other outputs; it cannot run exactly-once. Use mode "state", or make the table co-partitioned (drop "global: true")',
    ]);
    expect(existsSync(dir), 'state directory created').to.equal(false);
  });
});

describe('lineage through the runtime (real processes)', function () {
  this.timeout(180_000);

  it('survives --instances 3 and a rebalance mid-stream: every output names the input record it came from', async () => {
    const input = await createTestTopic('lin-in', 4);
    const output = await createTestTopic('lin-out', 4);
    const records = Array.from({ length: 16_000 }, (_, i) => ({ key: `k${i % 40}`, value: `k${i % 40}:${i}` }));
    await produceRaw(testBroker().bootstrap, input, records);
    // Small batches: a revoke finishes the in-flight records of a slow stage well within its bound.
    const args = ['run', fixture('relay'), '--brokers', testBroker().bootstrap, '--input', input, '--output', `out=${output}`, '--group', 'lin-g', '--from-beginning', '--batch-size', '100', ...fast];
    const env = { SEDA_FIXTURE_PAUSE_EVERY: '10', SEDA_FIXTURE_PAUSE_MS: '20' };
    const sup = startSeda([...args, '--instances', '3'], { env });
    let fourth: SedaProcess | undefined;
    try {
      await waitFor(() => sup.logs().filter((l) => l.msg === 'partitions assigned').length >= 3, 60_000, 'three workers assigned');
      await waitFor(async () => (await readAll(testBroker().bootstrap, output, { idleMs: 200 })).length > 1_000, 60_000, 'output flowing', 300);
      // A 4th instance joins mid-stream: every member's partitions are revoked and reassigned.
      fourth = startSeda(args, { env });
      await fourth.waitForLog((l) => l.msg === 'partitions assigned', 60_000, '4th instance assigned');
      const atRebalance = new Set((await readAll(testBroker().bootstrap, output, { idleMs: 200 })).map((r) => r.value)).size;
      expect(atRebalance, 'records still to process when the 4th instance got its partitions').to.be.lessThan(records.length);
      await waitFor(() => drained('lin-g', input), 120_000, 'the group to drain the input', 500);
    } finally {
      fourth?.kill('SIGTERM');
      sup.kill('SIGTERM');
    }
    expect((await fourth!.exited(30_000)).code).to.equal(0);
    expect((await sup.exited(60_000)).code).to.equal(0);

    const inputs = await readAll(testBroker().bootstrap, input, { expected: records.length, idleMs: 1000 });
    const byPosition = new Map<string, ReadRecord>(inputs.map((r) => [`${r.partition}:${r.offset}`, r]));
    const out = await readAll(testBroker().bootstrap, output, { idleMs: 1000 });
    const covered = new Set<string>();
    for (const o of out) {
      const l = parseLineage(o.headers[lineageHeader]);
      expect(l, `lineage of ${o.value}`).to.not.equal(undefined);
      expect([l!.group, l!.topic, l!.index]).to.deep.equal(['lin-g', input, 0]);
      const source = byPosition.get(`${l!.partition}:${l!.offset}`);
      expect(source?.value, `input at ${l!.partition}:${l!.offset}`).to.equal(o.value);
      expect(source?.key).to.equal(o.key);
      covered.add(`${l!.partition}:${l!.offset}`);
    }
    expect(covered.size).to.equal(records.length);
  });

  it('a failed delivery leaves no hole: the stage stops, and no output produced after the failed one lands', async () => {
    const input = await createTestTopic('hole-in', 1);
    const output = await createTestTopic('hole-out', 1);
    const count = 150_000;
    await produceRaw(testBroker().bootstrap, input, Array.from({ length: count }, (_, i) => ({ key: null, value: String(i) })));
    // Paced (about 20k records/s), so it is still producing when the error comes.
    const env = { SEDA_FIXTURE_PAUSE_EVERY: '100', SEDA_FIXTURE_PAUSE_MS: '5' };
    const p = startSeda(['run', fixture('relay'), '--brokers', testBroker().bootstrap, '--input', input, '--output', `out=${output}`, '--group', 'hole-g', '--from-beginning', '--batch-size', '500'], { env });
    try {
      // (A loaded broker may take a while to answer a new reader's first fetch: wait for the data, not for silence.)
      await waitFor(async () => (await readAll(testBroker().bootstrap, output, { expected: 3_001, idleMs: 2_000 })).length > 3_000, 60_000, 'output flowing', 100);
      // The next produce request fails for good (MESSAGE_TOO_LARGE): its batch never lands.
      testBroker().pushRequestErrors('Produce', [10]);
      const exit = await p.exited(60_000);
      expect(exit.code).to.equal(1);
    } finally {
      testBroker().clearRequestErrors('Produce');
      p.kill('SIGKILL');
    }
    const landed = (await readAll(testBroker().bootstrap, output, { idleMs: 1000 })).map((r) => Number(r.value));
    expect(landed.length).to.be.greaterThan(3_000).and.lessThan(count);
    // What landed is a prefix of the outputs, in order, with no hole: a replay after a restart re-emits exactly what is missing, after it.
    const holes = landed.filter((v, i) => v !== i);
    expect(holes.slice(0, 3), `first values out of place (of ${landed.length})`).to.deep.equal([]);
  });

  it('two upstream groups writing into one topic from the same source partitions are two streams: the exactly-once stage applies both in full', async () => {
    const brokers = testBroker().bootstrap;
    const source = await createTestTopic('two-src', 2);
    const mid = await createTestTopic('two-mid', 2);
    const rows = Array.from({ length: 3_000 }, (_, i) => ({ meter: `meter${i % 20}`, q: (i * 31) % 41, ts: i }));
    await produceRaw(brokers, source, rows.map((r, i) => ({ key: `site-${i % 2}`, value: JSON.stringify(r), partition: i % 2 })));
    const dir = mkdtempSync(join(tmpdir(), 'seda-two-'));
    const upstream = (group: string): string[] => ['run', fixture('tariff'), '--brokers', brokers, '--input', source, '--output', `costs=${mid}`, '--group', group, '--from-beginning', ...fast];
    const billing = startSeda(upstream('two-billing'));
    const audit = startSeda(upstream('two-audit'));
    const totals = startSeda(['run', fixture('meter-totals'), '--brokers', brokers, '--input', mid, '--group', 'two-totals', '--mode', 'exactly-once', '--from-beginning', '--state-dir', dir, ...fast]);
    try {
      await waitFor(async () => (await drained('two-billing', source)) && (await drained('two-audit', source)) && (await drained('two-totals', mid)), 90_000, 'all three drained', 500);
    } finally {
      for (const p of [billing, audit, totals]) p.kill('SIGTERM');
    }
    for (const p of [billing, audit, totals]) expect((await p.exited(30_000)).code).to.equal(0);
    const stopped = totals.logs().find((l) => l.msg === 'stage stopped') as { counters: { duplicatesSkipped: number } };
    expect(stopped.counters.duplicatesSkipped).to.equal(0);

    const want = new Map<string, Total>();
    for (const r of rows) {
      const t = want.get(r.meter) ?? { count: 0, cost: 0 };
      const extra = surcharge(r.q);
      want.set(r.meter, { count: t.count + 2 * (extra > 0 ? 2 : 1), cost: t.cost + 2 * (r.q * price(r.meter) + extra) });
    }
    const store = await openStateStore({ dir });
    const got = new Map<string, Total>();
    try {
      for (const p of [0, 1]) for await (const [k, v] of store.entries(mid, p)) if (!k.startsWith('\u0000')) got.set(k, v as Total);
    } finally {
      await store.close();
    }
    expect(Object.fromEntries(got)).to.deep.equal(Object.fromEntries(want));
  });
});

describe('seda describe for a chain', function () {
  this.timeout(60_000);

  it('names each hop exactly-once or at-least-once, and why', async () => {
    const base = await runSeda(['describe', fixture('tariff'), fixture('meter-totals')]);
    expect(base.code).to.equal(0);
    expect(base.stdout).to.contain('chain:    tariff (at-least-once) -> meter-totals (state)');
    expect(base.stdout).to.contain('hop:      tariff -> meter-totals via tariff-costs: at-least-once');
    expect(base.stdout).to.contain('- "meter-totals" runs in mode "state", which applies duplicates');
    const eo = await runSeda(['describe', fixture('tariff'), fixture('meter-totals'), '--mode', 'meter-totals=exactly-once', '--json']);
    expect(eo.code).to.equal(0);
    const hops = (JSON.parse(eo.stdout) as { hops: Array<{ guarantee: string }> }).hops;
    expect(hops.map((h) => h.guarantee)).to.deep.equal(['exactly-once']);
    const builtins = await runSeda(['describe', 'meter-readings', 'consumption-average', 'alerts', '--mode', 'alerts=exactly-once']);
    expect(builtins.code, builtins.stderr).to.equal(0);
    expect(builtins.stdout).to.contain('hop:      meter-readings -> consumption-average via electric-readings: at-least-once');
    expect(builtins.stdout).to.contain('- "meter-readings" is a source: its records carry no lineage');
    expect(builtins.stdout).to.contain('hop:      consumption-average -> alerts via consumption-averages: exactly-once');
    const apart = await runSeda(['describe', fixture('meter-totals'), fixture('tariff')]);
    expect(apart.code).to.equal(1);
    expect(apart.stderr).to.match(/^error: stage "meter-totals" does not feed stage "tariff"/m);
  });

  it('a non-deterministic or hand-written upstream keeps the hop at-least-once', async () => {
    const totals = await loadStage(fixture('meter-totals'));
    const noisy: Stage = defineStage({ name: 'noisy', input: { topic: 'x' }, outputs: { o: { topic: 'tariff-costs' } }, deterministic: false, process() {} });
    const handWritten = stageFromTransform(() => new Transform({ objectMode: true }), { name: 'raw', input: 'x', outputs: { o: 'tariff-costs' } });
    expect(describeHop(noisy, totals, 'exactly-once')).to.include({ guarantee: 'at-least-once' });
    expect(describeHop(noisy, totals, 'exactly-once').reasons.join('\n')).to.contain('"noisy" is not deterministic');
    expect(describeHop(handWritten, totals, 'exactly-once').reasons.join('\n')).to.contain('its outputs carry no lineage');
    const lookup: Stage = defineStage({ name: 'lookup', input: { topic: 'x' }, outputs: { o: { topic: 'tariff-costs' } }, tables: { sites: { topic: 's', global: true } }, process() {} });
    expect(describeHop(lookup, totals, 'exactly-once')).to.include({ guarantee: 'at-least-once' });
    expect(describeHop(lookup, totals, 'exactly-once').reasons.join('\n')).to.contain('"lookup" reads global table "sites" (not ordered with the stream): a replay may emit other outputs');
    expect(describeChain([await loadStage(fixture('tariff')), totals], { 'meter-totals': 'exactly-once' })[0].guarantee).to.equal('exactly-once');
  });
});
