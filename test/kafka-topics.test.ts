import { expect } from 'chai';
import { Partitioners } from 'kafkajs';
import { describeTopic, listTopics } from '@seda/kafka';
import { createTestTopic, testBroker, testBrokerControl, uniqueTopic } from './support/broker.js';
import { runSeda } from './support/process.js';
import { produceWithSink } from './support/seda-io.js';
import { readAll } from './support/topic-io.js';

describe('topics and keys (embedded broker)', function () {
  this.timeout(60_000);

  it('creates topics of 1, 4 and 12 partitions: `seda topics describe` and the admin API show exactly that many, and keyed records fill every one', async () => {
    const brokers = testBroker().bootstrap;
    const env = { SEDA_BROKER_CONTROL: await testBrokerControl() };
    for (const partitions of [1, 4, 12]) {
      const topic = uniqueTopic(`topics-${partitions}`);
      const created = await runSeda(['topics', 'create', topic, '--partitions', String(partitions)], { env });
      expect(created.code, created.stderr).to.equal(0);
      expect(created.stdout).to.equal(`created ${topic} (${partitions} partition${partitions === 1 ? '' : 's'})\n`);

      const lines = Array.from({ length: 300 }, (_, i) => `key-${i}:value-${i}`).join('\n');
      const produced = await runSeda(['produce', topic, '--key-delimiter', ':'], { input: `${lines}\n` });
      expect(produced.code, produced.stderr).to.equal(0);
      expect(produced.stdout.trim()).to.equal('300');

      const described = await runSeda(['topics', 'describe', topic, '--json']);
      expect(described.code, described.stderr).to.equal(0);
      const parts = JSON.parse(described.stdout) as Array<{ partition: number; leader: number; high: number; low: number }>;
      expect(parts.map((p) => p.partition)).to.deep.equal(Array.from({ length: partitions }, (_, i) => i));
      for (const p of parts) expect(p.high, `partition ${p.partition} of ${topic} got no keyed record`).to.be.greaterThan(0);
      expect(parts.reduce((n, p) => n + p.high, 0)).to.equal(300);

      expect(await describeTopic(brokers, topic)).to.have.lengthOf(partitions);
      expect((await listTopics(brokers)).find((t) => t.name === topic)?.partitions).to.equal(partitions);
    }
    const listed = await runSeda(['topics', 'list']);
    expect(listed.code, listed.stderr).to.equal(0);
    expect(listed.stdout).to.match(/^topics-12-\S+\t12$/m);
  });

  it('puts a key on the same partition from any producer: two `seda produce` processes, the in-process sink and the Java-compatible hash (KafkaJS) agree', async () => {
    const brokers = testBroker().bootstrap;
    const partitions = 12;
    const topic = await createTestTopic('keys', partitions);
    const keys = Array.from({ length: 200 }, (_, i) => `meter-${i}`);
    const input = (tag: string): string => `${keys.map((k) => `${k}:${tag}`).join('\n')}\n`;
    const [a, b] = await Promise.all([
      runSeda(['produce', topic, '--key-delimiter', ':'], { input: input('a') }),
      runSeda(['produce', topic, '--key-delimiter', ':'], { input: input('b') }),
    ]);
    expect(a.code, a.stderr).to.equal(0);
    expect(b.code, b.stderr).to.equal(0);
    expect(await produceWithSink(brokers, topic, keys.length, { key: (i) => keys[i], value: () => 'c' })).to.equal(keys.length);

    const records = await readAll(brokers, topic, { expected: keys.length * 3 });
    expect(records).to.have.lengthOf(keys.length * 3);
    const javaHash = Partitioners.DefaultPartitioner();
    const metadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1] }));
    const byKey = new Map<string, Map<string, number>>();
    for (const r of records) {
      const seen = byKey.get(r.key!) ?? new Map<string, number>();
      seen.set(r.value, r.partition);
      byKey.set(r.key!, seen);
    }
    expect(byKey.size).to.equal(keys.length);
    const used = new Set<number>();
    for (const [key, seen] of byKey) {
      expect([...seen.keys()].sort(), key).to.deep.equal(['a', 'b', 'c']);
      const expected = javaHash({ topic, partitionMetadata: metadata, message: { key, value: null } });
      for (const [tag, partition] of seen) expect(partition, `${key} from producer ${tag}`).to.equal(expected);
      used.add(expected);
    }
    expect(used.size, 'keys spread over every partition').to.equal(partitions);
  });
});
