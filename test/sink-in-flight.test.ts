import { expect } from 'chai';
import type { OutgoingMessage } from '@seda/core';
import { KafkaSink } from '@seda/kafka';
import { createTestTopic, testBroker } from './support/broker.js';

describe('kafka sink in-flight bound', function () {
  this.timeout(30_000);

  it('completes a write only once delivery reports brought the messages in flight back under 3/4 of maxInFlight', async () => {
    const topic = await createTestTopic('sink-bound', 2);
    const delivered: number[] = [];
    const sink = new KafkaSink({ brokers: testBroker().bootstrap, maxInFlight: 100, onDelivered: (b) => delivered.push(b.nextOffset) });
    await sink.connect();
    try {
      const messages: OutgoingMessage[] = Array.from({ length: 150 }, (_, i) => ({ topic, key: null, value: Buffer.from(`m${i}`), partition: i % 2 }));
      const inFlightAtCallback = await new Promise<number>((resolve, reject) =>
        sink.write({ topic, partition: 0, nextOffset: 150, inputCount: 150, messages, deadLetters: 0 }, (err) => (err ? reject(err) : resolve(sink.inFlight()))),
      );
      expect(inFlightAtCallback).to.be.at.most(75);
      // A batch under the bound completes at once, with its messages still in flight.
      const small = await new Promise<number>((resolve, reject) =>
        sink.write({ topic, partition: 0, nextOffset: 160, inputCount: 10, messages: messages.slice(0, 10), deadLetters: 0 }, (err) => (err ? reject(err) : resolve(sink.inFlight()))),
      );
      expect(small).to.be.greaterThan(0);
      await sink.flush(10_000);
      await new Promise((r) => setTimeout(r, 50));
      expect(delivered).to.deep.equal([150, 160]);
    } finally {
      await sink.close();
    }
  });
});
