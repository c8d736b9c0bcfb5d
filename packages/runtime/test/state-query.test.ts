import { expect } from 'chai';
import { createStateQuery, keyPartition, murmur2, type CommittedState } from '../src/index.js';

describe('state query', () => {
  it('hashes keys as Kafka\'s murmur2 partitioner does (the Java client\'s test vectors)', () => {
    const vectors: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of vectors) expect(murmur2(Buffer.from(key)), key).to.equal(hash);
  });

  const store = (data: { [partition: number]: { [key: string]: unknown } }): CommittedState => ({
    readCommitted: async (_topic, p, key) => data[p]?.[key],
    async *entries(_topic, p, options) {
      const keys = Object.keys(data[p] ?? {}).filter((k) => k.startsWith(options?.prefix ?? '')).sort();
      for (const k of keys.slice(0, options?.limit ?? keys.length)) yield [k, data[p][k]];
    },
  });

  it('finds a key in any owned partition; a missing key names its murmur2 partition and whether this instance owns it', async () => {
    const q = createStateQuery({ store: store({ 1: { a: 1 }, 3: { b: 2 } }), input: 'in', group: 'g', partitionCount: 4, owned: () => [1, 3] });
    expect(await q.get('b')).to.deep.equal({ status: 200, body: { key: 'b', partition: 3, value: 2 } });
    const missing = await q.get('nope');
    expect(missing.status).to.equal(404);
    const body = missing.body as { partition: number; ownedHere: boolean; error: string };
    expect(body.partition).to.equal(keyPartition('nope', 4));
    expect(body.ownedHere).to.equal([1, 3].includes(keyPartition('nope', 4)));
    expect(body.error).to.contain(`in/${keyPartition('nope', 4)}`);
  });

  it('a 404 for a partition owned elsewhere names the announced owner where known, and keeps the old text where not', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    const elsewhere = keys.find((k) => keyPartition(k, 4) !== 1)!;
    const asked: number[] = [];
    const owner = async (p: number) => {
      asked.push(p);
      return p === keyPartition(elsewhere, 4) ? { instance: 'h:42', metricsUrl: 'http://h:9464/metrics' } : undefined;
    };
    const q = createStateQuery({ store: store({}), input: 'in', group: 'g', partitionCount: 4, owned: () => [1], owner });
    const known = (await q.get(elsewhere)).body as { owner?: unknown; error: string };
    expect(known.owner).to.deep.equal({ instance: 'h:42', metricsUrl: 'http://h:9464/metrics' });
    expect(known.error).to.contain(`owned by instance h:42, ask it at http://h:9464/state/${elsewhere}`);
    const unknown = createStateQuery({ store: store({}), input: 'in', group: 'g', partitionCount: 4, owned: () => [1], owner: async () => undefined });
    const body = (await unknown.get(elsewhere)).body as { owner?: unknown; error: string };
    expect(body).to.not.have.property('owner');
    expect(body.error).to.contain('which another instance of group "g" owns');
    // A key of an owned partition is not looked up.
    const mine = keys.find((k) => keyPartition(k, 4) === 1)!;
    asked.length = 0;
    expect(((await q.get(mine)).body as { owner?: unknown }).owner).to.equal(undefined);
    expect(asked).to.deep.equal([]);
  });

  it('lists the owned partitions\' entries with a prefix in key order, at most limit', async () => {
    const q = createStateQuery({ store: store({ 0: { m1: 1, m3: 3, x: 0 }, 2: { m2: 2, m4: 4 } }), input: 'in', group: 'g', partitionCount: 4, owned: () => [0, 2] });
    expect(await q.list('m', 3)).to.deep.equal({
      status: 200,
      body: { partitions: [0, 2], entries: [{ partition: 0, key: 'm1', value: 1 }, { partition: 2, key: 'm2', value: 2 }, { partition: 0, key: 'm3', value: 3 }] },
    });
  });
});
