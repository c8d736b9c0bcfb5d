import { expect } from 'chai';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeTopic, detectRetentionLoss, groupLag, mockRetentionBytesPerPartition } from '@seda/kafka';
import { createTestTopic, testBroker, testBrokerControl, uniqueTopic } from './support/broker.js';
import { runSeda } from './support/process.js';
import { produceWithSink } from './support/seda-io.js';
import { produceRaw } from './support/topic-io.js';

/** The one `error: ...` line of a failed command; fails on a stack trace or a second error line. */
function oneErrorLine(stderr: string): string {
  const lines = stderr.trim().split('\n').filter((l) => l.startsWith('error: '));
  expect(lines, stderr).to.have.lengthOf(1);
  expect(stderr, 'no stack trace without --verbose').to.not.match(/\n\s+at /);
  return lines[0];
}

describe('seda lag', function () {
  this.timeout(60_000);

  it('shows committed offset, log start, high watermark and lag per partition after a consume with a group', async () => {
    const brokers = testBroker().bootstrap;
    const topic = await createTestTopic('lag', 2);
    await produceRaw(brokers, topic, [
      ...Array.from({ length: 100 }, (_, i) => ({ value: `a${i}`, partition: 0 })),
      ...Array.from({ length: 100 }, (_, i) => ({ value: `b${i}`, partition: 1 })),
    ]);
    const group = uniqueTopic('lag-group');
    const consumed = await runSeda(['consume', topic, '--group', group, '--from-beginning', '--max', '150']);
    expect(consumed.code, consumed.stderr).to.equal(0);
    expect(consumed.stdout.trimEnd().split('\n')).to.have.lengthOf(150);

    const lag = await runSeda(['lag', group]);
    expect(lag.code, lag.stderr).to.equal(0);
    const [header, ...rest] = lag.stdout.trimEnd().split('\n');
    expect(header).to.equal('topic\tpartition\tcommitted\tlow\thigh\tlag');
    expect(rest.pop()).to.equal('total lag: 50');
    const rows = rest.map((l) => l.split('\t'));
    expect(rows.map((r) => `${r[0]}/${r[1]}`)).to.deep.equal([`${topic}/0`, `${topic}/1`]);
    for (const [, , committed, low, high, lagged] of rows) {
      expect([Number(low), Number(high)]).to.deep.equal([0, 100]);
      expect(Number(committed) + Number(lagged)).to.equal(100);
    }
    expect(rows.reduce((n, r) => n + Number(r[2]), 0), 'committed = records printed').to.equal(150);

    const api = await groupLag(brokers, group);
    expect(api.map((r) => [r.topic, r.partition, r.committed, r.low, r.high, r.lag])).to.deep.equal(
      rows.map((r) => [r[0], Number(r[1]), Number(r[2]), Number(r[3]), Number(r[4]), Number(r[5])]),
    );
    const json = await runSeda(['lag', group, '--json']);
    expect(JSON.parse(json.stdout)).to.deep.equal(api);
  });
});

describe('retention of the embedded broker (~5 MiB per partition)', function () {
  this.timeout(60_000);

  it('a group behind the log start is warned about by `seda lag`, detected by the API, and its next consume resumes at the log start, not at the end', async () => {
    const brokers = testBroker().bootstrap;
    const topic = await createTestTopic('retention', 1);
    await produceRaw(brokers, topic, Array.from({ length: 50 }, (_, i) => ({ value: `early-${i}` })));
    const group = uniqueTopic('retention-group');
    // The mock holds a group its last member left in a rebalance for the session timeout (minus 1 s): keep it short.
    const session = ['--kafka', 'session.timeout.ms=6000', '--kafka', 'heartbeat.interval.ms=1000'];
    const first = await runSeda(['consume', topic, '--group', group, '--from-beginning', '--max', '10', ...session]);
    expect(first.code, first.stderr).to.equal(0);

    // More than the mock keeps: the oldest records (the group's next ones among them) are deleted.
    const valueBytes = 1024;
    const count = Math.ceil((mockRetentionBytesPerPartition * 1.3) / valueBytes);
    expect(await produceWithSink(brokers, topic, count, { value: (i) => String(i).padEnd(valueBytes, '.') })).to.equal(count);
    const [partition] = await describeTopic(brokers, topic);
    expect(partition.low, 'log start after producing more than the mock keeps').to.be.greaterThan(10);
    expect(partition.high).to.equal(50 + count);

    const lost = await detectRetentionLoss(brokers, group, [topic]);
    expect(lost).to.deep.equal([{ topic, partition: 0, from: 10, logStart: partition.low, lost: partition.low - 10 }]);

    const lag = await runSeda(['lag', group]);
    expect(lag.code, lag.stderr).to.equal(0);
    expect(lag.stderr).to.contain(
      `warning: group "${group}" lost ${partition.low - 10} records of ${topic}/0 to retention: its committed offset 10 is below the log start ${partition.low}`,
    );
    expect(lag.stdout).to.contain(`${topic}\t0\t10\t${partition.low}\t${partition.high}\t${partition.high - 10}`);

    // Without --from-beginning (auto.offset.reset=latest), librdkafka alone would jump to the end and print nothing.
    const next = await runSeda(['consume', topic, '--group', group, '--max', '5', '--json', '--timeout', '15000', ...session]);
    expect(next.code, next.stderr).to.equal(0);
    expect(next.stdout, 'records printed (none: the group jumped to the end)').to.not.equal('');
    const offsets = next.stdout
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { offset: number }).offset);
    expect(offsets).to.deep.equal([0, 1, 2, 3, 4].map((i) => partition.low + i));
    expect(next.stderr).to.contain(`warning: ${partition.low - 10} records of ${topic}/0 were deleted by retention before group "${group}" read them`);
  });
});

describe('seda CLI: bad input gives one clear error', function () {
  this.timeout(60_000);
  type Where = { cwd?: string; env?: { [key: string]: string } };
  let topic: string;
  let brokerHere: Where;
  before(async () => {
    topic = await createTestTopic('cli-errors', 2);
    // A directory where `seda broker` would have written .seda/broker.json, naming the shared broker.
    const cwd = mkdtempSync(join(tmpdir(), 'seda-chaos-'));
    mkdirSync(join(cwd, '.seda'));
    writeFileSync(join(cwd, '.seda', 'broker.json'), JSON.stringify({ bootstrap: testBroker().bootstrap, control: await testBrokerControl() }));
    brokerHere = { cwd };
  });
  const nowhere = (): Where => ({ cwd: mkdtempSync(join(tmpdir(), 'seda-nobroker-')), env: { SEDA_BROKERS: '' } });

  const cases: Array<{ what: string; args: () => string[]; where?: () => Where; error: RegExp }> = [
    { what: 'consume of an unknown topic', args: () => ['consume', 'no-such-topic'], error: /"no-such-topic" does not exist on .*seda topics create no-such-topic --partitions N/ },
    { what: 'describe of an unknown topic', args: () => ['topics', 'describe', 'no-such-topic'], error: /"no-such-topic" does not exist/ },
    { what: 'produce to an unknown topic', args: () => ['produce', 'no-such-topic'], error: /"no-such-topic" does not exist/ },
    { what: 'produce to a partition the topic does not have', args: () => ['produce', topic, '--partition', '2'], error: /--partition 2 does not exist: topic ".*" has 2 partitions \(0\.\.1\)/ },
    { what: '--partitions 0', args: () => ['topics', 'create', 'x', '--partitions', '0'], error: /--partitions must be a whole number >= 1 \(got "0"\)/ },
    { what: '--partitions that is not a number', args: () => ['topics', 'create', 'x', '--partitions', 'four'], error: /--partitions must be a whole number >= 1 \(got "four"\)/ },
    { what: 'topics create without --partitions', args: () => ['topics', 'create', 'x'], error: /required option '--partitions <n>' not specified/ },
    { what: 'consume --max 0', args: () => ['consume', topic, '--max', '0'], error: /--max must be a whole number >= 1/ },
    { what: 'consume with no broker anywhere', args: () => ['consume', topic], where: nowhere, error: /no Kafka broker: pass --brokers host:port, set SEDA_BROKERS, or start one with `seda broker`/ },
    { what: 'produce with no broker anywhere', args: () => ['produce', topic], where: nowhere, error: /no Kafka broker/ },
    { what: 'topics list with no broker anywhere', args: () => ['topics', 'list'], where: nowhere, error: /no Kafka broker/ },
    { what: 'lag with no broker anywhere', args: () => ['lag', 'g'], where: nowhere, error: /no Kafka broker/ },
    { what: 'chaos with no broker anywhere', args: () => ['chaos', 'down', '1'], where: nowhere, error: /no Kafka broker: pass --brokers host:port, set SEDA_BROKERS, or start one with `seda broker`/ },
    { what: 'chaos on a broker id the cluster does not have', args: () => ['chaos', 'down', '9'], where: () => brokerHere, error: /no broker 9: this cluster has brokers 1, 2, 3/ },
  ];
  for (const c of cases) {
    it(c.what, async () => {
      const r = await runSeda(c.args(), c.where?.() ?? {});
      expect(r.code).to.not.equal(0);
      expect(oneErrorLine(r.stderr)).to.match(c.error);
    });
  }

  it('prints the stack with --verbose', async () => {
    const r = await runSeda(['topics', 'describe', 'no-such-topic', '--verbose']);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/^error: topic "no-such-topic" does not exist/);
    expect(r.stderr).to.match(/\n\s+at /);
  });
});
