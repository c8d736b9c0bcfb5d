import { expect } from 'chai';
import { KafkaSource, type TopicPartition } from '@seda/kafka';
import { createTestTopic, testBroker } from './support/broker.js';
import { waitFor } from './support/process.js';

// Found by the rebalance storm (test/rebalance-storm.test.ts): an instance SIGTERMed while a
// cooperative rebalance was under way exited 1 ("stage failed: [object Object]"), because the
// assignment that rebalance delivered during the close could no longer be applied (node-rdkafka
// throws a plain object, hence the message).
describe('source closing during a rebalance', function () {
  this.timeout(60_000);

  for (const strategy of ['cooperative-sticky', 'eager'] as const) {
    it(`${strategy}: an assignment delivered while the source closes takes no partition, and a failure to apply it is no stream error`, async () => {
      const topic = await createTestTopic(`close-rebalance-${strategy}`, 2);
      const errors: Error[] = [];
      let closing = false;
      const assignedWhileClosing: TopicPartition[][] = [];
      const source = new KafkaSource({
        brokers: testBroker().bootstrap,
        groupId: `close-rebalance-${strategy}-${process.pid}`,
        topics: [topic],
        assignmentStrategy: strategy,
        onAssign: (partitions) => void (closing && assignedWhileClosing.push(partitions)),
      });
      source.on('error', (err: Error) => errors.push(err));
      source.resume();
      await source.connect();
      await waitFor(() => source.assignment().length === 2, 30_000, 'the source to own both partitions');
      const close = source.close(20_000);
      closing = true;
      // What librdkafka hands to JS when a rebalance overlaps the close, as the storm had it: an assignment
      // the closing client can no longer apply (here: partitions it holds already, which (incremental) assign refuses
      // or replaces).
      const rebalanceCb = (source.consumer as unknown as { _cb_configs: { global: { rebalance_cb: (err: { code: number }, a: TopicPartition[]) => void } } })._cb_configs.global.rebalance_cb;
      rebalanceCb({ code: -175 }, [{ topic, partition: 0 }]);
      await close;
      expect(errors.map((e) => e.message), 'errors of the closing source').to.deep.equal([]);
      expect(source.errored, String(source.errored)).to.equal(null);
      expect(assignedWhileClosing, 'partitions taken by a closing source').to.deep.equal([]);
    });
  }
});
