import { expect } from 'chai';
import type { OutgoingMessage } from '@seda/core';
import { KafkaSink } from '@seda/kafka';
import { createTestTopic, testBroker } from './support/broker.js';
import { recordsInTopic } from './support/seda-io.js';

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

  it('with releaseProduced, empties a batch\'s messages once produced and still delivers every one of them, in order', async () => {
    const topic = await createTestTopic('sink-release', 2);
    const delivered: Array<{ nextOffset: number; messages: number }> = [];
    const sink = new KafkaSink({ brokers: testBroker().bootstrap, releaseProduced: true, onDelivered: (b) => delivered.push({ nextOffset: b.nextOffset, messages: b.messages.length }) });
    await sink.connect();
    try {
      const batches = [0, 1, 2].map((n) => ({
        topic,
        partition: 0,
        nextOffset: (n + 1) * 20,
        inputCount: 20,
        messages: Array.from({ length: 20 }, (_, i): OutgoingMessage => ({ topic, key: null, value: Buffer.from(`m${n}-${i}`), partition: i % 2, headers: [{ 'seda.lineage': `g/in:0:${n * 20 + i}:0` }] })),
        deadLetters: 0,
      }));
      for (const b of batches) await new Promise<void>((resolve, reject) => sink.write(b, (err) => (err ? reject(err) : resolve())));
      // Handed to librdkafka (which copies them): not held until delivery.
      expect(batches.map((b) => b.messages.length)).to.deep.equal([0, 0, 0]);
      await sink.flush(10_000);
      expect(delivered).to.deep.equal([20, 40, 60].map((nextOffset) => ({ nextOffset, messages: 0 })));
      expect(await recordsInTopic(testBroker().bootstrap, topic)).to.equal(60);
    } finally {
      await sink.close();
    }
  });
});
