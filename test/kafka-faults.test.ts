import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeTopic } from '@seda/kafka';
import { createTestTopic, testBroker } from './support/broker.js';
import { runSeda, startSeda, waitFor } from './support/process.js';
import { consumeWithSource, exactlyOnce, produceWithSink, recordsInTopic } from './support/seda-io.js';

describe('broker faults', function () {
  this.timeout(90_000);

  it('the partition leader goes down mid-stream and comes back: the round trip loses nothing and the idempotent producer duplicates nothing', async () => {
    const broker = testBroker();
    const topic = await createTestTopic('leader-down', 2);
    const leader = (await describeTopic(broker.bootstrap, topic))[0].leader;
    const total = 20_000;
    let downAt: number | undefined;
    let upAgain: Promise<void> | undefined;
    const consumed = consumeWithSource(broker.bootstrap, topic, total, { timeoutMs: 60_000, settleMs: 500 });
    try {
      const delivered = await produceWithSink(broker.bootstrap, topic, total, {
        key: (i) => `k${i % 31}`,
        pauseMs: 50,
        onBatch: (sent) => {
          if (sent === 6000) {
            broker.setBrokerDown(leader);
            downAt = sent;
            upAgain = new Promise((resolve) => setTimeout(resolve, 1500)).then(() => broker.setBrokerUp(leader));
          }
        },
      });
      expect(downAt, 'the broker went down mid-stream').to.equal(6000);
      expect(delivered).to.equal(total);
    } finally {
      await upAgain;
    }
    const seen = await consumed;
    expect(await recordsInTopic(broker.bootstrap, topic), 'records in the log (a duplicate would add one)').to.equal(total);
    expect(exactlyOnce(seen.map((r) => r.value), Array.from({ length: total }, (_, i) => String(i)))).to.deep.equal({ missing: [], duplicated: [], unexpected: [] });
    expect(seen).to.have.lengthOf(total);
  });

  it('`seda broker` in its own process: prints its bootstrap, writes .seda/broker.json, obeys `seda chaos down/up`, and on SIGTERM exits and removes the file', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'seda-broker-'));
    // Commands in `cwd` find the broker through .seda/broker.json only.
    const env = { SEDA_BROKERS: '', SEDA_BROKER_CONTROL: '' };
    const broker = startSeda(['broker', '--brokers', '3'], { cwd, env });
    try {
      await waitFor(() => /^bootstrap: .*\n/m.test(broker.stdout()), 20_000, '`seda broker` to print its bootstrap');
      const bootstrap = /^bootstrap: (.*)$/m.exec(broker.stdout())![1];
      expect(bootstrap).to.match(/^127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/);
      const file = join(cwd, '.seda', 'broker.json');
      const written = JSON.parse(readFileSync(file, 'utf8')) as { bootstrap: string; control: string; pid: number };
      expect(written.bootstrap).to.equal(bootstrap);
      expect(written.control).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(written.pid).to.equal(broker.child.pid);

      const created = await runSeda(['topics', 'create', 'chaos', '--partitions', '1'], { cwd, env });
      expect(created.code, created.stderr).to.equal(0);
      const described = await runSeda(['topics', 'describe', 'chaos', '--json'], { cwd, env });
      expect(described.code, described.stderr).to.equal(0);
      const leader = (JSON.parse(described.stdout) as Array<{ leader: number }>)[0].leader;

      const down = await runSeda(['chaos', 'down', String(leader)], { cwd, env });
      expect(down.code, down.stderr).to.equal(0);
      const lines = Array.from({ length: 1000 }, (_, i) => String(i));
      const producer = startSeda(['produce', 'chaos'], { cwd, env });
      producer.child.stdin!.end(`${lines.join('\n')}\n`);
      // With its partition's leader down, nothing can be acknowledged: the producer waits.
      await new Promise((r) => setTimeout(r, 2000));
      expect(producer.child.exitCode, `produce finished with the leader down: ${producer.stdout()} ${producer.stderr()}`).to.equal(null);
      const up = await runSeda(['chaos', 'up', String(leader)], { cwd, env });
      expect(up.code, up.stderr).to.equal(0);
      const produced = await producer.exited(30_000);
      expect(produced.code, producer.stderr()).to.equal(0);
      expect(producer.stdout()).to.equal('1000\n');

      const consumed = await runSeda(['consume', 'chaos', '--from-beginning', '--max', '1000'], { cwd, env });
      expect(consumed.code, consumed.stderr).to.equal(0);
      expect(consumed.stdout.trimEnd().split('\n').map((l) => l.slice(1))).to.deep.equal(lines);

      broker.kill('SIGTERM');
      const exit = await broker.exited(10_000);
      expect(exit.code, broker.stderr()).to.equal(0);
      expect(existsSync(file), '.seda/broker.json removed').to.equal(false);
    } finally {
      if (broker.child.exitCode === null && broker.child.signalCode === null) broker.kill('SIGKILL');
    }
  });
});
