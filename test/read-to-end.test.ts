import { expect } from 'chai';
import { readToEnd, startBroker, type EmbeddedBroker, type StoredRecord } from '@seda/kafka';
import { produceRaw } from './support/topic-io.js';

describe('readToEnd (@seda/kafka): whole topics from log start to the high watermark', function () {
  this.timeout(60_000);
  let broker: EmbeddedBroker;
  const produced = Array.from({ length: 600 }, (_, i) => ({ key: `m${i % 37}`, value: `{"n":${i}}`, headers: [{ n: String(i) }, { kind: i % 2 === 0 ? 'even' : 'odd' }] as Array<{ [key: string]: string }> }));

  before(async () => {
    broker = await startBroker({
      brokers: 3,
      announce: false,
      topics: [
        { name: 'r2e-a', partitions: 3 },
        { name: 'r2e-b', partitions: 2 },
        { name: 'r2e-empty', partitions: 2 },
      ],
    });
    await produceRaw(broker.bootstrap, 'r2e-a', produced);
    await produceRaw(broker.bootstrap, 'r2e-b', [{ key: null, value: 'only', partition: 1 }]);
  });
  after(async () => {
    await broker.stop(3000);
  });

  it('returns every record of every topic once, in offset order per partition, with key, value and headers', async () => {
    const read = await readToEnd(broker.bootstrap, ['r2e-a', 'r2e-b', 'r2e-empty']);
    expect([...read.keys()]).to.deep.equal(['r2e-a', 'r2e-b', 'r2e-empty']);
    const a = read.get('r2e-a')!;
    expect(a).to.have.length(produced.length);
    for (let p = 0; p < 3; p++) {
      const offsets = a.filter((r) => r.partition === p).map((r) => r.offset);
      expect(offsets, `partition ${p}`).to.deep.equal(offsets.map((_, i) => i));
    }
    const text = (r: StoredRecord): string => `${String(r.key)}|${String(r.value)}|${r.headers.map((h) => `${h.key}=${h.value.toString()}`).join(',')}`;
    expect(a.map(text).sort()).to.deep.equal(produced.map((r) => `${r.key}|${r.value}|n=${r.headers[0].n},kind=${r.headers[1].kind}`).sort());
    // A key lands on one partition only.
    const partitionsOfKey = new Map<string, Set<number>>();
    for (const r of a) partitionsOfKey.set(String(r.key), (partitionsOfKey.get(String(r.key)) ?? new Set()).add(r.partition));
    expect([...partitionsOfKey.values()].every((s) => s.size === 1)).to.equal(true);
    expect(read.get('r2e-b')!.map((r) => ({ partition: r.partition, offset: r.offset, key: r.key, value: r.value?.toString(), headers: r.headers }))).to.deep.equal([
      { partition: 1, offset: 0, key: null, value: 'only', headers: [] },
    ]);
    expect(read.get('r2e-empty')).to.deep.equal([]);
  });

  it('stops at the high watermark of when it was called: what is produced next is read by the next call', async () => {
    const before = (await readToEnd(broker.bootstrap, ['r2e-b'])).get('r2e-b')!;
    await produceRaw(broker.bootstrap, 'r2e-b', [{ key: 'late', value: 'next', partition: 0 }]);
    const after = (await readToEnd(broker.bootstrap, ['r2e-b'])).get('r2e-b')!;
    expect(before.map((r) => r.value?.toString())).to.deep.equal(['only']);
    expect(after.map((r) => r.value?.toString()).sort()).to.deep.equal(['next', 'only']);
  });

  it('fails with SEDA_KAFKA_TOPIC_MISSING naming a topic that does not exist', async () => {
    const err = await readToEnd(broker.bootstrap, ['r2e-a', 'r2e-nope']).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message: string },
    );
    expect(err?.code).to.equal('SEDA_KAFKA_TOPIC_MISSING');
    expect(err?.message).to.contain('"r2e-nope"');
    expect(err?.message).to.not.contain('"r2e-a"');
  });
});
