import { expect } from 'chai';
import { Writable } from 'node:stream';
import type { InputBatch } from '@seda/core';
import { KafkaSource } from '@seda/kafka';
import { createTestTopic, testBroker } from './support/broker.js';
import { runSeda, waitFor } from './support/process.js';
import { consumeWithSource, exactlyOnce, produceWithSink, recordsInTopic } from './support/seda-io.js';

const N = 100_000;
const range = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => String(i + from));

describe('Kafka round trips (embedded broker)', function () {
  this.timeout(90_000);

  it('100k records through KafkaSink and KafkaSource: none lost, none duplicated, each key in order', async () => {
    const brokers = testBroker().bootstrap;
    const topic = await createTestTopic('round-trip', 4);
    expect(await produceWithSink(brokers, topic, N, { key: (i) => `k${i % 97}` })).to.equal(N);
    expect(await recordsInTopic(brokers, topic), 'records in the log').to.equal(N);

    const seen = await consumeWithSource(brokers, topic, N);
    expect(exactlyOnce(seen.map((r) => r.value), range(N))).to.deep.equal({ missing: [], duplicated: [], unexpected: [] });
    expect(seen).to.have.lengthOf(N);
    const lastOfKey = new Map<string, number>();
    for (const r of seen) {
      const v = Number(r.value);
      expect(v, `key ${r.key} out of order`).to.be.greaterThan(lastOfKey.get(r.key!) ?? -1);
      lastOfKey.set(r.key!, v);
    }
  });

  it('100k lines through the CLI: `seq 100000 | seda produce` then `seda consume --from-beginning --max 100000`', async () => {
    const brokers = testBroker().bootstrap;
    const topic = await createTestTopic('cli-round-trip', 4);
    const lines = range(N, 1);
    const produced = await runSeda(['produce', topic], { input: `${lines.join('\n')}\n` });
    expect(produced.code, produced.stderr).to.equal(0);
    expect(produced.stdout).to.equal(`${N}\n`);
    expect(await recordsInTopic(brokers, topic), 'records in the log').to.equal(N);

    const consumed = await runSeda(['consume', topic, '--from-beginning', '--max', String(N)]);
    expect(consumed.code, consumed.stderr).to.equal(0);
    const out = consumed.stdout.split('\n');
    expect(out.pop()).to.equal('');
    expect(out).to.have.lengthOf(N);
    for (const line of out.slice(0, 5)) expect(line).to.match(/^\t\d+$/); // no key, then the value
    expect(exactlyOnce(out.map((l) => l.slice(1)), lines)).to.deep.equal({ missing: [], duplicated: [], unexpected: [] });
  });

  it('backpressure: a source whose downstream stops reading stops consuming (its buffer and librdkafka\'s fetch queue stay bounded), then delivers everything', async () => {
    const brokers = testBroker().bootstrap;
    const topic = await createTestTopic('backpressure', 4);
    const total = 40_000;
    const valueBytes = 250;
    // Fixed-size records, so bytes = records x size; small producer batches, so one fetch (one batch per partition on the mock) is small;
    // spread evenly, so no partition goes over what the mock keeps (~5 MiB).
    const value = (i: number): string => String(i).padStart(valueBytes, '0');
    expect(await produceWithSink(brokers, topic, total, { value, partition: (i) => i % 4, kafka: { 'batch.size': 32_768 } })).to.equal(total);
    expect(await recordsInTopic(brokers, topic), 'records in the log').to.equal(total);

    const queuedKBytes = 256;
    const batchSize = 200;
    const source = new KafkaSource({
      brokers,
      groupId: `backpressure-${process.pid}-${Date.now()}`,
      topics: [topic],
      fromBeginning: true,
      batchSize,
      kafka: { 'queued.max.messages.kbytes': queuedKBytes, debug: 'fetch' },
    });
    // librdkafka's fetch debug log says how many bytes each fetch put in its queue.
    let fetchedBytes = 0;
    let notFetchable = 0;
    source.consumer.on('event.log', (log: { message: string }) => {
      const m = /Enqueue \d+ message\(s\) \((\d+) bytes/.exec(log.message);
      if (m) fetchedBytes += Number(m[1]);
      if (/not fetchable: queued\.(max\.messages\.kbytes|min\.messages) exceeded/.test(log.message)) notFetchable++;
    });
    let held: Array<() => void> | undefined = [];
    const received: string[] = [];
    const downstream = new Writable({
      objectMode: true,
      highWaterMark: 1,
      write(batch: InputBatch, _encoding, callback) {
        for (const r of batch.records) received.push(r.value!.toString());
        if (held) held.push(callback);
        else callback();
      },
    });
    source.pipe(downstream);
    await source.connect();
    try {
      await waitFor(() => received.length > 0 && notFetchable > 0, 20_000, 'the first records, then librdkafka pausing its fetches');
      // Give a source that ignored backpressure time to show it: it would go on consuming.
      await new Promise((r) => setTimeout(r, 1500));
      const buffered = source.consumedRecords - received.length;
      expect(buffered, 'records buffered in the source').to.be.at.most(source.readableHighWaterMark * batchSize);
      expect(source.readableLength, 'batches buffered in the source').to.be.at.most(source.readableHighWaterMark + 4);
      const recordBytes = valueBytes; // no key
      const inLibrdkafka = fetchedBytes - source.consumedRecords * recordBytes;
      // librdkafka stops fetching at queued.max.messages.kbytes; each of the 3 brokers' connections may overshoot by one fetch response.
      expect(inLibrdkafka, 'bytes in librdkafka\'s fetch queue').to.be.at.most(queuedKBytes * 1024 * 4);
      expect(fetchedBytes, 'bytes fetched while downstream was stuck').to.be.lessThan((total * recordBytes) / 4);

      const release = held!;
      held = undefined;
      for (const cb of release) cb();
      await waitFor(() => received.length >= total, 30_000, `all ${total} records after downstream reads again`);
      await new Promise((r) => setTimeout(r, 300));
      expect(exactlyOnce(received, range(total).map((_, i) => value(i)))).to.deep.equal({ missing: [], duplicated: [], unexpected: [] });
    } finally {
      source.unpipe(downstream);
      await source.close(10_000);
    }
  });
});
