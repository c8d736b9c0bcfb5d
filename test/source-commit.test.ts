import { expect } from 'chai';
import { once } from 'node:events';
import { SedaError } from '@seda/core';
import { KafkaSource, type TopicPartitionOffset } from '@seda/kafka';
import { createTestTopic, testBroker } from './support/broker.js';
import { produceRaw } from './support/topic-io.js';

describe('kafka source commits', function () {
  this.timeout(60_000);

  it('a late confirmation of a commit that timed out does not confirm the next commit', async () => {
    const topic = await createTestTopic('source-commit', 1);
    await produceRaw(testBroker().bootstrap, topic, Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })));
    const source = new KafkaSource({ brokers: testBroker().bootstrap, groupId: `commit-${topic}`, topics: [topic], fromBeginning: true });
    const assigned = once(source, 'assigned');
    await source.connect();
    try {
      source.resume(); // keep the read loop (which serves commit callbacks) going
      await assigned;
      const commitToBroker = source.consumer.commit.bind(source.consumer);
      const sent: TopicPartitionOffset[][] = [];
      // Hold every commit back from the broker; the test decides which one reaches it, and when.
      source.consumer.commit = ((offsets: TopicPartitionOffset[]) => {
        sent.push(offsets);
      }) as typeof source.consumer.commit;
      const first = [{ topic, partition: 0, offset: 3 }];
      const timedOut = await source.commit(first, 200).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect((timedOut as SedaError).code).to.equal('SEDA_KAFKA_COMMIT');
      // The next commit never reaches the broker; the first one does, late.
      const second = source.commit([{ topic, partition: 0, offset: 7 }], 3000).then(
        () => 'confirmed',
        (err: unknown) => (err as SedaError).code,
      );
      commitToBroker(sent[0]);
      expect(await second).to.equal('SEDA_KAFKA_COMMIT'); // old code (FIFO waiters): 'confirmed'
      expect(sent.map((o) => o[0].offset)).to.deep.equal([3, 7]);
    } finally {
      await source.close();
    }
  });

  it('confirms each of several commits in flight by its own offsets', async () => {
    const topic = await createTestTopic('source-commit-many', 2);
    const source = new KafkaSource({ brokers: testBroker().bootstrap, groupId: `commit-${topic}`, topics: [topic], fromBeginning: true });
    const assigned = once(source, 'assigned');
    await source.connect();
    try {
      source.resume();
      await assigned;
      await Promise.all([
        source.commit([{ topic, partition: 0, offset: 0 }], 10_000),
        source.commit([{ topic, partition: 1, offset: 0 }, { topic, partition: 0, offset: 0 }], 10_000),
      ]);
    } finally {
      await source.close();
    }
  });
});
