import assert from 'node:assert/strict';
import type { StateBatch, StateProvider } from './state.js';

/** Optional behaviours of a provider under test. */
export interface StateContractSupports {
  /** A provider opened again on the same storage keeps committed data (`reopen` given). */
  persistence?: boolean;
  /** Partitions of several topics in one provider (false for a store bound to one input's changelog). Default true. */
  multipleTopics?: boolean;
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function commitBatch(p: StateProvider, b: StateBatch, offset: number, topic = 't', partition = 0): Promise<void> {
  await p.commit(topic, partition, b.seal(), offset);
}

/**
 * The state provider contract, run against every implementation (the
 * in-memory store and LevelDB), abstract-level style.
 *
 * @example
 * stateProviderContract({ describe, it, factory: async () => createMemoryState() });
 */
export function stateProviderContract(options: {
  describe: (name: string, fn: () => void) => void;
  it: (name: string, fn: () => Promise<void>) => void;
  /** A fresh, empty provider. */
  factory: () => Promise<StateProvider>;
  /** Reopens the storage of a closed provider (for persistence tests). */
  reopen?: (closed: StateProvider) => Promise<StateProvider>;
  supports?: StateContractSupports;
}): void {
  const { describe, it, factory } = options;
  const withProvider = (fn: (p: StateProvider) => Promise<void>) => async () => {
    const p = await factory();
    try {
      await fn(p);
    } finally {
      await p.close();
    }
  };

  describe('state provider contract', () => {
    it('reads back what a batch put, and nothing for unknown keys', withProvider(async (p) => {
      const b = p.begin('t', 0);
      b.put('a', { n: 1 });
      assert.deepEqual(await b.get('a'), { n: 1 });
      assert.equal(await b.get('missing'), undefined);
      await commitBatch(p, b, 1);
      assert.deepEqual(await p.begin('t', 0).get('a'), { n: 1 });
    }));

    it('copies values: mutating a put or a got value does not change state', withProvider(async (p) => {
      const b = p.begin('t', 0);
      const v = { n: 1 };
      b.put('a', v);
      v.n = 99;
      const got = (await b.get('a')) as { n: number };
      got.n = 42;
      assert.deepEqual(await b.get('a'), { n: 1 });
      await commitBatch(p, b, 1);
      const later = (await p.begin('t', 0).get('a')) as { n: number };
      later.n = 7;
      assert.deepEqual(await p.begin('t', 0).get('a'), { n: 1 });
    }));

    it('sees sealed but uncommitted batches of the same partition, newest first', withProvider(async (p) => {
      const b1 = p.begin('t', 0);
      b1.put('a', 1);
      b1.put('b', 1);
      const c1 = b1.seal();
      const b2 = p.begin('t', 0);
      assert.equal(await b2.get('a'), 1);
      b2.put('a', 2);
      b2.del('b');
      const c2 = b2.seal();
      const b3 = p.begin('t', 0);
      assert.equal(await b3.get('a'), 2);
      assert.equal(await b3.get('b'), undefined);
      await p.commit('t', 0, c1, 1);
      assert.equal(await p.begin('t', 0).get('a'), 2);
      await p.commit('t', 0, c2, 2);
      assert.equal(await p.begin('t', 0).get('a'), 2);
      assert.equal(await p.begin('t', 0).get('b'), undefined);
    }));

    it('keeps partitions apart', withProvider(async (p) => {
      const b = p.begin('t', 0);
      b.put('k', 'p0');
      await commitBatch(p, b, 5);
      assert.equal(await p.begin('t', 1).get('k'), undefined);
      if (options.supports?.multipleTopics !== false) assert.equal(await p.begin('u', 0).get('k'), undefined);
      assert.equal(await p.storedOffset('t', 1), undefined);
      assert.equal(await p.storedOffset('t', 0), 5);
    }));

    it('rolls back to a savepoint: a failed record leaves no trace', withProvider(async (p) => {
      const b = p.begin('t', 0);
      b.put('a', 1);
      const sp = b.savepoint();
      b.put('a', 2);
      b.put('c', 3);
      b.del('a');
      b.rollback(sp);
      assert.equal(await b.get('a'), 1);
      assert.equal(await b.get('c'), undefined);
      await commitBatch(p, b, 1);
      assert.deepEqual(await collect(p.begin('t', 0).range()), [['a', 1]]);
    }));

    it('ranges in key order over committed and pending writes, with prefix, bounds, limit and reverse', withProvider(async (p) => {
      const b1 = p.begin('t', 0);
      for (const k of ['m1/02', 'm1/01', 'm2/01', 'x']) b1.put(k, k);
      await commitBatch(p, b1, 1);
      const b2 = p.begin('t', 0);
      b2.put('m1/03', 'm1/03');
      b2.del('m1/01');
      b2.seal();
      const b3 = p.begin('t', 0);
      b3.put('m1/00', 'm1/00');
      assert.deepEqual((await collect(b3.range({ prefix: 'm1/' }))).map(([k]) => k), ['m1/00', 'm1/02', 'm1/03']);
      assert.deepEqual((await collect(b3.range({ gte: 'm1/02', lt: 'm2' }))).map(([k]) => k), ['m1/02', 'm1/03']);
      assert.deepEqual((await collect(b3.range({ gt: 'm1/02', lte: 'm2/01' }))).map(([k]) => k), ['m1/03', 'm2/01']);
      assert.deepEqual((await collect(b3.range({ limit: 2 }))).map(([k]) => k), ['m1/00', 'm1/02']);
      // A limit stops the merge of committed and pending keys in order: deleted and overwritten keys never count.
      assert.deepEqual(await collect(b3.range({ gt: 'm1/00', limit: 1 })), [['m1/02', 'm1/02']]);
      assert.deepEqual((await collect(b3.range({ gt: 'm1/02', limit: 2 }))).map(([k]) => k), ['m1/03', 'm2/01']);
      b3.put('m1/02', 'new');
      assert.deepEqual(await collect(b3.range({ prefix: 'm1/', limit: 2 })), [['m1/00', 'm1/00'], ['m1/02', 'new']]);
      assert.deepEqual((await collect(b3.range({ gte: 'y', limit: 1 }))).map(([k]) => k), []);
      assert.deepEqual((await collect(b3.range({ reverse: true, limit: 2 }))).map(([k]) => k), ['x', 'm2/01']);
    }));

    it('stores the offset with the changes, and only through commit', withProvider(async (p) => {
      assert.equal(await p.storedOffset('t', 0), undefined);
      const b = p.begin('t', 0);
      b.put('a', 1);
      const cs = b.seal();
      assert.equal(await p.storedOffset('t', 0), undefined);
      await p.commit('t', 0, cs, 10);
      assert.equal(await p.storedOffset('t', 0), 10);
    }));

    it('refuses to commit change sets out of seal order', withProvider(async (p) => {
      const c1 = p.begin('t', 0).seal();
      const c2 = p.begin('t', 0).seal();
      await assert.rejects(p.commit('t', 0, c2, 2), { code: 'SEDA_STATE_ORDER' });
      await p.commit('t', 0, c1, 1);
      await p.commit('t', 0, c2, 2);
      assert.equal(await p.storedOffset('t', 0), 2);
    }));

    it('releases a partition: committed state stays, uncommitted changes go, and it can be used again', withProvider(async (p) => {
      const b = p.begin('t', 0);
      b.put('kept', 1);
      await commitBatch(p, b, 4);
      const lost = p.begin('t', 0);
      lost.put('lost', 1);
      lost.seal();
      await p.release('t', 0);
      assert.equal(await p.storedOffset('t', 0), 4);
      const again = p.begin('t', 0);
      assert.equal(await again.get('kept'), 1);
      assert.equal(await again.get('lost'), undefined);
      again.put('later', 2);
      await commitBatch(p, again, 5);
      assert.deepEqual(await collect(p.begin('t', 0).range()), [['kept', 1], ['later', 2]]);
    }));

    it('refuses writes to a batch after it was sealed', withProvider(async (p) => {
      const b = p.begin('t', 0);
      b.seal();
      assert.throws(() => b.put('a', 1), { code: 'SEDA_STATE_SEALED' });
    }));

    if (options.supports?.persistence && options.reopen) {
      const reopen = options.reopen;
      it('keeps committed state and offsets across a reopen, and loses uncommitted ones', async () => {
        const p = await factory();
        const b = p.begin('t', 3);
        b.put('kept', 1);
        await commitBatch(p, b, 7, 't', 3);
        const lost = p.begin('t', 3);
        lost.put('lost', 1);
        lost.seal();
        await p.close();
        const q = await reopen(p);
        try {
          assert.equal(await q.storedOffset('t', 3), 7);
          assert.equal(await q.begin('t', 3).get('kept'), 1);
          assert.equal(await q.begin('t', 3).get('lost'), undefined);
        } finally {
          await q.close();
        }
      });
    }
  });
}
