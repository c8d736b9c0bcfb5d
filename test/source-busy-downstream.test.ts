import { expect } from 'chai';
import { once } from 'node:events';
import type { InputBatch } from '@seda/core';
import { KafkaSource } from '@seda/kafka';
import { createTestTopic, testBroker } from './support/broker.js';
import { produceRaw } from './support/topic-io.js';

describe('kafka source with a downstream that stopped reading', function () {
  this.timeout(60_000);

  it('still gets a commit confirmed (librdkafka serves commit callbacks only inside consume calls)', async () => {
    const topic = await createTestTopic('source-busy', 1);
    await produceRaw(
      testBroker().bootstrap,
      topic,
      Array.from({ length: 20_000 }, (_, i) => ({ value: `v${i}` })),
    );
    const source = new KafkaSource({ brokers: testBroker().bootstrap, groupId: `busy-${topic}`, topics: [topic], fromBeginning: true, batchSize: 500 });
    await source.connect();
    try {
      const read = async (): Promise<InputBatch> => {
        for (;;) {
          const batch = source.read() as InputBatch | null;
          if (batch !== null) return batch;
          await once(source, 'readable');
        }
      };
      // Read one batch, then stop reading: the source fills its buffer and stops consuming.
      const first = await read();
      await new Promise((r) => setTimeout(r, 1000));
      await source.commit([{ topic, partition: 0, offset: first.nextOffset }], 10_000);
      // A second commit while still not reading, after the partitions were held for a while.
      await new Promise((r) => setTimeout(r, 5500));
      await source.commit([{ topic, partition: 0, offset: first.nextOffset }], 10_000);
      // Reading again goes on where the records stopped: nothing skipped, nothing repeated.
      let next = first.nextOffset;
      while (next < 20_000) {
        const batch = await read();
        expect(batch.records[0].offset).to.equal(next);
        next = batch.nextOffset;
      }
    } finally {
      await source.close();
    }
  });
});
