import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { createTestTopic, testBroker } from './support/broker.js';
import { isAlive, startSeda, waitFor } from './support/process.js';
import { produceRaw, readAll, type ReadRecord } from './support/topic-io.js';
import { groupLag } from '@seda/kafka';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));

/** Client settings that make rebalances quick on the embedded broker. */
const fastGroup = ['--kafka', 'session.timeout.ms=6000', '--kafka', 'heartbeat.interval.ms=500', '--commit-interval', '200'];

function runArgs(stage: string, input: string, output: string, group: string, extra: string[] = []): string[] {
  return ['run', fixture(stage), '--brokers', testBroker().bootstrap, '--input', input, '--output', `out=${output}`, '--group', group, '--from-beginning', ...fastGroup, ...extra];
}

/** Per key, values in order of first appearance must be increasing: replays repeat, never reorder. */
function assertPerKeyOrder(out: ReadRecord[]): void {
  const seen = new Set<string>();
  const last = new Map<string, number>();
  for (const r of out) {
    if (seen.has(r.value)) continue;
    seen.add(r.value);
    const n = Number(r.value.split(':')[1]);
    const key = r.key ?? '';
    expect(n, `order of key ${key}`).to.be.greaterThan(last.get(key) ?? -1);
    last.set(key, n);
  }
}

function inputRecords(count: number, keys: number): Array<{ key: string; value: string }> {
  return Array.from({ length: count }, (_, i) => ({ key: `k${i % keys}`, value: `k${i % keys}:${i}` }));
}

async function readDistinct(topic: string, expected: number, timeoutMs: number): Promise<ReadRecord[]> {
  let out: ReadRecord[] = [];
  await waitFor(
    async () => {
      out = await readAll(testBroker().bootstrap, topic, { idleMs: 500, timeoutMs: 20_000 });
      return new Set(out.map((r) => r.value)).size >= expected;
    },
    timeoutMs,
    `${expected} distinct records on ${topic}`,
    500,
  );
  return out;
}

describe('at-least-once delivery (real processes)', function () {
  this.timeout(180_000);

  it('--concurrency: an async stage works on that many partitions at once, never more, each partition in order', async () => {
    const input = await createTestTopic('conc-in', 4);
    // 100 records per partition, each awaited 5 ms by the stage.
    await produceRaw(testBroker().bootstrap, input, Array.from({ length: 400 }, (_, i) => ({ key: `k${i % 4}`, value: `p${i % 4}:${Math.floor(i / 4)}`, partition: i % 4 })));
    const run = async (concurrency: number): Promise<number[]> => {
      const output = await createTestTopic(`conc-out-${concurrency}`, 4);
      const p = startSeda(runArgs('lookup', input, output, `conc-g-${concurrency}`, ['--concurrency', String(concurrency)]));
      try {
        const out = await readDistinct(output, 400, 60_000);
        // Each input partition's records come out in order.
        const last = new Map<string, number>();
        for (const r of out) {
          const [part, n] = r.value.split('|')[0].split(':');
          expect(Number(n), `order of ${part}`).to.be.greaterThan(last.get(part) ?? -1);
          last.set(part, Number(n));
        }
        return out.map((r) => Number(r.value.split('|')[1]));
      } finally {
        p.kill('SIGTERM');
        await p.exited(30_000);
      }
    };
    const three = await run(3);
    expect(Math.max(...three), 'partitions in process() at once, --concurrency 3').to.equal(3);
    const one = await run(1);
    expect(Math.max(...one), 'partitions in process() at once, --concurrency 1').to.equal(1);
  });

  it('simple queue: a stage killed with SIGKILL mid-stream and restarted loses nothing and keeps per-key order', async () => {
    const input = await createTestTopic('queue-in', 1);
    const output = await createTestTopic('queue-out', 1);
    const records = inputRecords(20_000, 10);
    await produceRaw(testBroker().bootstrap, input, records);
    const env = { SEDA_FIXTURE_PAUSE_EVERY: '50', SEDA_FIXTURE_PAUSE_MS: '2' };
    const first = startSeda(runArgs('relay', input, output, 'queue-g'), { env });
    await first.waitForLog((l) => l.msg === 'committed' || (l.msg === 'partitions assigned'), 30_000, 'assignment');
    await waitFor(async () => (await readAll(testBroker().bootstrap, output, { idleMs: 200 })).length > 2_000, 60_000, 'some output before the kill', 300);
    first.kill('SIGKILL');
    const killed = await first.exited(10_000);
    expect(killed.signal).to.equal('SIGKILL');

    const second = startSeda(runArgs('relay', input, output, 'queue-g'));
    const out = await readDistinct(output, records.length, 120_000);
    second.kill('SIGTERM');
    expect((await second.exited(30_000)).code).to.equal(0);

    const values = new Set(out.map((r) => r.value));
    for (const r of records) expect(values.has(r.value), `missing ${r.value}`).to.equal(true);
    assertPerKeyOrder(out);
    // Duplicates come only from the uncommitted tail, never a full replay.
    expect(out.length - values.size).to.be.lessThan(records.length);
  });

  it('graceful SIGTERM exits 0 with every processed record committed; a restart processes nothing twice', async () => {
    const input = await createTestTopic('term-in', 2);
    const output = await createTestTopic('term-out', 2);
    const records = inputRecords(5_000, 7);
    await produceRaw(testBroker().bootstrap, input, records);
    const p = startSeda(runArgs('relay', input, output, 'term-g'));
    await readDistinct(output, records.length, 60_000);
    p.kill('SIGTERM');
    expect((await p.exited(30_000)).code).to.equal(0);
    const lag = await groupLag(testBroker().bootstrap, 'term-g', [input]);
    expect(lag.map((l) => l.lag)).to.deep.equal(lag.map(() => 0));
    expect(lag.reduce((n, l) => n + l.committed, 0)).to.equal(records.length);
    const before = (await readAll(testBroker().bootstrap, output, { idleMs: 500 })).length;

    const again = startSeda(runArgs('relay', input, output, 'term-g'));
    await again.waitForLog((l) => l.msg === 'partitions assigned', 30_000, 'assignment after restart');
    await new Promise((r) => setTimeout(r, 1500));
    again.kill('SIGTERM');
    expect((await again.exited(30_000)).code).to.equal(0);
    const stopped = again.logs().find((l) => l.msg === 'stage stopped') as { counters?: { recordsIn: number } } | undefined;
    expect(stopped?.counters?.recordsIn).to.equal(0);
    expect((await readAll(testBroker().bootstrap, output, { idleMs: 500 })).length).to.equal(before);
  });

  it('fanout: two stages in two groups each see every record of one topic', async () => {
    const input = await createTestTopic('fan-in', 4);
    const outA = await createTestTopic('fan-a', 4);
    const outB = await createTestTopic('fan-b', 4);
    const records = inputRecords(4_000, 13);
    await produceRaw(testBroker().bootstrap, input, records);
    const a = startSeda(runArgs('relay', input, outA, 'auditing'));
    const b = startSeda(runArgs('relay', input, outB, 'billing'));
    const [ra, rb] = await Promise.all([readDistinct(outA, records.length, 60_000), readDistinct(outB, records.length, 60_000)]);
    a.kill('SIGTERM');
    b.kill('SIGTERM');
    expect((await a.exited(30_000)).code).to.equal(0);
    expect((await b.exited(30_000)).code).to.equal(0);
    const want = records.map((r) => r.value).sort();
    expect([...new Set(ra.map((r) => r.value))].sort()).to.deep.equal(want);
    expect([...new Set(rb.map((r) => r.value))].sort()).to.deep.equal(want);
  });

  it('parallel workers: --instances 3 over 4 partitions, a 4th instance joins and one worker is SIGKILLed: nothing lost, per-key order kept', async () => {
    const input = await createTestTopic('par-in', 4);
    const output = await createTestTopic('par-out', 4);
    const records = inputRecords(50_000, 40);
    await produceRaw(testBroker().bootstrap, input, records);
    const env = { SEDA_FIXTURE_PAUSE_EVERY: '100', SEDA_FIXTURE_PAUSE_MS: '2' };
    const sup = startSeda([...runArgs('relay', input, output, 'par-g'), '--instances', '3'], { env });
    await waitFor(() => sup.logs().filter((l) => l.msg === 'partitions assigned').length >= 3, 60_000, 'three workers assigned');
    await waitFor(async () => (await readAll(testBroker().bootstrap, output, { idleMs: 200 })).length > 5_000, 60_000, 'output flowing', 300);
    const fourth = startSeda(runArgs('relay', input, output, 'par-g'), { env });
    await fourth.waitForLog((l) => l.msg === 'partitions assigned', 60_000, '4th instance assigned');
    const worker = (sup.logs().filter((l) => l.msg === 'worker started') as Array<{ pid: number }>).find((w) => isAlive(w.pid));
    expect(worker, 'a live worker').to.not.equal(undefined);
    process.kill(worker!.pid, 'SIGKILL');
    await sup.waitForLog((l) => l.msg === 'worker died; restarting it', 30_000, 'supervisor restarts the killed worker');

    const out = await readDistinct(output, records.length, 150_000);
    fourth.kill('SIGTERM');
    sup.kill('SIGTERM');
    expect((await fourth.exited(30_000)).code).to.equal(0);
    const supExit = await sup.exited(60_000);
    if (supExit.code !== 0) console.error(sup.stderr().split("\n").filter((l) => /"level":(40|50|60)/.test(l)).join("\n"));
    expect(supExit.code).to.equal(0);
    const values = new Set(out.map((r) => r.value));
    expect(values.size).to.equal(records.length);
    assertPerKeyOrder(out);
  });

  it('cooperative-sticky: a joining instance takes partitions incrementally; the first never gives up all of them, and nothing is lost', async () => {
    const input = await createTestTopic('coop-in', 4);
    const output = await createTestTopic('coop-out', 4);
    const records = inputRecords(20_000, 20);
    await produceRaw(testBroker().bootstrap, input, records);
    const env = { SEDA_FIXTURE_PAUSE_EVERY: '100', SEDA_FIXTURE_PAUSE_MS: '5' };
    const coop = ['--kafka', 'partition.assignment.strategy=cooperative-sticky'];
    const a = startSeda(runArgs('relay', input, output, 'coop-g', coop), { env });
    await a.waitForLog((l) => l.msg === 'partitions assigned' && (l.partitions as number[]).length === 4, 60_000, 'A assigned every partition');
    await waitFor(async () => (await readAll(testBroker().bootstrap, output, { idleMs: 200 })).length > 2_000, 60_000, 'output flowing', 300);
    const b = startSeda(runArgs('relay', input, output, 'coop-g', coop), { env });
    await b.waitForLog((l) => l.msg === 'partitions assigned' && (l.partitions as number[]).length > 0, 60_000, 'B assigned');
    const out = await readDistinct(output, records.length, 120_000);
    a.kill('SIGTERM');
    b.kill('SIGTERM');
    expect((await a.exited(30_000)).code).to.equal(0);
    expect((await b.exited(30_000)).code).to.equal(0);
    // Incremental: A handed over only what B got, while the stage kept running; an eager rebalance revokes all four first.
    const revokedBeforeStop = a.logs().filter((l) => l.msg === 'partitions revoked; finishing in-flight records');
    expect(revokedBeforeStop.length, 'A revoked something when B joined').to.be.above(0);
    expect((revokedBeforeStop[0].partitions as number[]).length).to.be.below(4);
    expect(new Set(out.map((r) => r.value)).size).to.equal(records.length);
    assertPerKeyOrder(out);
  });
});
