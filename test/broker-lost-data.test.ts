import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Kafka from 'node-rdkafka';
import { connectClient, disconnectClient, type EmbeddedBroker, groupLag, startBroker } from '@seda/kafka';
import { createTestTopic, testBroker } from './support/broker.js';
import { runSeda, startSeda, waitFor } from './support/process.js';
import { produceRaw, readAll } from './support/topic-io.js';
import { compare, groundTruth, HOUR, readings, storedWindows } from './support/readings.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));
const fast = ['--kafka', 'session.timeout.ms=6000', '--kafka', 'heartbeat.interval.ms=500', '--commit-interval', '200'];

async function drained(brokers: string, group: string, topic: string, records: number): Promise<boolean> {
  const lag = await groupLag(brokers, group, [topic]).catch(() => []);
  return lag.length > 0 && lag.every((l) => l.lag === 0) && lag.reduce((n, l) => n + l.committed, 0) === records;
}

/** Commits `offset` for `group` on a partition without joining it (as a tool or an old deployment would). */
async function commitOffset(brokers: string, group: string, topic: string, partition: number, offset: number): Promise<void> {
  const c = new Kafka.KafkaConsumer({ 'bootstrap.servers': brokers, 'group.id': group, 'enable.auto.commit': false }, {});
  await connectClient(c, 10_000);
  try {
    c.assign([{ topic, partition, offset: 0 }]);
    c.commitSync({ topic, partition, offset });
    await waitFor(async () => (await groupLag(brokers, group, [topic]).catch(() => [])).some((l) => l.committed === offset), 15_000, 'the commit to land');
  } finally {
    await disconnectClient(c, { timeoutMs: 10_000 });
  }
}

describe('a broker that lost its data (real processes)', function () {
  this.timeout(180_000);
  let lost: EmbeddedBroker | undefined;

  afterEach(async () => {
    await lost?.stop(5000);
    lost = undefined;
  });

  it('state mode: stored offsets past the high watermark stop the stage with SEDA_RUNTIME_OFFSET_AHEAD and the recovery commands; --offset recovers exactly', async () => {
    // A broker of its own, restarted empty: the stage's stored offsets now lie past the end.
    lost = await startBroker({ brokers: 1, initialRebalanceDelayMs: 0 });
    const topic = 'lost-in';
    await lost.createTopic(topic, 1);
    await lost.createTopic('lost-out', 1);
    const before = readings(1_500, 5, 2);
    await produceRaw(lost.bootstrap, topic, before);
    const dir = mkdtempSync(join(tmpdir(), 'seda-lost-'));
    const args = (brokers: string): string[] => ['run', fixture('hourly'), '--brokers', brokers, '--input', topic, '--output', 'out=lost-out', '--group', 'lost-g', '--from-beginning', '--state-dir', dir, '--changelog', 'false', ...fast];
    const first = startSeda(args(lost.bootstrap));
    await waitFor(() => drained(lost!.bootstrap, 'lost-g', topic, before.length), 60_000, 'drained before the loss', 200, [first]);
    first.kill('SIGTERM');
    expect((await first.exited(30_000)).code).to.equal(0);

    await lost.stop(5000);
    lost = await startBroker({ brokers: 1, initialRebalanceDelayMs: 0 });
    await lost.createTopic(topic, 1);
    await lost.createTopic('lost-out', 1);
    // Later in event time than what came before (earlier hours' windows are closed: late records would be dropped).
    const after = readings(300, 5, 2).map((r) => ({ ...r, key: `new-${r.key}`, ts: r.ts + 2 * HOUR, value: JSON.stringify({ kwh: r.kwh, ts: r.ts + 2 * HOUR }) }));
    await produceRaw(lost.bootstrap, topic, after);

    const refused = await runSeda(args(lost.bootstrap), { timeoutMs: 60_000 });
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.match(/"code":"SEDA_RUNTIME_OFFSET_AHEAD"/);
    const line = refused.stderr.split('\n').find((l) => l.startsWith('error: ')) ?? '';
    expect(line).to.contain(`${topic}/0: the state stored offset ${before.length}, but the partition holds only offsets 0..${after.length - 1} (next ${after.length})`);
    expect(line).to.contain(`seda state hourly --state-dir ${dir} --topic ${topic} --partition 0 --reset --yes`);
    // Nothing was processed: not from 0 (double counting), not from the end (skipping).
    expect(refused.stderr).to.not.contain('"msg":"starting partitions at stored offsets"');

    const fix = /`(seda state [^`]+--offset) X --yes`/.exec(line);
    expect(fix, line).to.not.equal(null);
    const set = await runSeda([...fix![1].split(' ').slice(1), '0', '--yes'], { timeoutMs: 30_000 });
    expect(set.code, set.stderr).to.equal(0);
    const again = startSeda(args(lost.bootstrap));
    await again.waitForLog((l) => l.msg === 'starting partitions at stored offsets', 60_000, 'starting at the set offset');
    await waitFor(() => drained(lost!.bootstrap, 'lost-g', topic, after.length), 60_000, 'drained after the recovery', 200, [again]);
    again.kill('SIGTERM');
    expect((await again.exited(30_000)).code).to.equal(0);
    // State kept from before the loss, plus exactly the records the partition holds now.
    const mismatches = compare(await storedWindows(dir, topic, 1), groundTruth([...before, ...after]));
    expect(mismatches, mismatches.slice(0, 5).join('\n')).to.deep.equal([]);
  });

  it('at-least-once: a committed offset past the end starts per auto.offset.reset (earliest with --from-beginning), logged as a warning naming it', async () => {
    const input = await createTestTopic('ahead-in', 1);
    const output = await createTestTopic('ahead-out', 1);
    const group = `${input}-g`;
    await produceRaw(testBroker().bootstrap, input, Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
    await commitOffset(testBroker().bootstrap, group, input, 0, 1000);
    const p = startSeda(['run', fixture('relay'), '--brokers', testBroker().bootstrap, '--input', input, '--output', `out=${output}`, '--group', group, '--from-beginning', ...fast]);
    const warn = (await p.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('committed offsets past the end'), 60_000, 'the offset-ahead warning')) as {
      level: number;
      ahead: Array<{ partition: number; from: number; high: number; reset: number }>;
      autoOffsetReset: string;
    };
    expect(warn.level).to.equal(40);
    expect(warn.ahead).to.deep.equal([{ topic: input, partition: 0, from: 1000, low: 0, high: 20, reset: 0 }]);
    expect(warn.autoOffsetReset).to.equal('earliest');
    await waitFor(() => drained(testBroker().bootstrap, group, input, 20), 60_000, 'drained', 200, [p]);
    p.kill('SIGTERM');
    expect((await p.exited(30_000)).code).to.equal(0);
    const out = await readAll(testBroker().bootstrap, output, { expected: 20 });
    expect(out.map((r) => r.value).sort()).to.deep.equal(Array.from({ length: 20 }, (_, i) => `v${i}`).sort());
  });
});
