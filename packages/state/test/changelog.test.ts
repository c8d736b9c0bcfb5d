import { expect } from 'chai';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stateProviderContract, type StateProvider } from '@seda/core';
import { ChangelogReplayer, markerRecord, openStateStore, type LevelStateStore } from '../src/index.js';
import { MemoryChangelog } from './memory-changelog.js';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'seda-cl-'));

async function entries(store: LevelStateStore, topic: string, partition: number): Promise<Array<[string, unknown]>> {
  const rows: Array<[string, unknown]> = [];
  for await (const row of store.entries(topic, partition)) rows.push(row);
  return rows;
}

/** Commits `n` batches of counters to t/0, each adding 1 to keys a and b and deleting c. */
async function commitBatches(store: LevelStateStore, n: number, firstOffset = 0): Promise<void> {
  for (let i = 0; i < n; i++) {
    const b = store.begin('t', 0);
    b.put('a', (((await b.get('a')) as number | undefined) ?? 0) + 1);
    b.put('b', (((await b.get('b')) as number | undefined) ?? 0) + 10);
    b.put('c', i);
    if (i % 2 === 1) b.del('c');
    await store.commit('t', 0, b.seal(), firstOffset + (i + 1) * 5);
  }
}

describe('LevelDB state store with a changelog', () => {
  const stores = new WeakMap<StateProvider, { dir: string; log: MemoryChangelog }>();
  stateProviderContract({
    describe,
    it,
    factory: async () => {
      const dir = tmp();
      const log = new MemoryChangelog();
      const store = await openStateStore({ dir, changelog: log });
      stores.set(store, { dir, log });
      return store;
    },
    reopen: async (closed) => {
      const { dir, log } = stores.get(closed)!;
      return openStateStore({ dir, changelog: log });
    },
    supports: { persistence: true, multipleTopics: false },
  });

  it('serves one input topic: a partition of another topic is refused with SEDA_STATE_OPEN', async () => {
    const store = await openStateStore({ dir: tmp(), changelog: new MemoryChangelog() });
    await store.commit('t', 0, store.begin('t', 0).seal(), 1);
    expect(() => store.begin('u', 0)).to.throw().with.property('code', 'SEDA_STATE_OPEN');
    await store.close();
  });

  it('appends every commit to the changelog before writing it locally, with a marker holding the next offset', async () => {
    const log = new MemoryChangelog();
    const store = await openStateStore({ dir: tmp(), changelog: log });
    await commitBatches(store, 2);
    const records = log.logs.get(0)!;
    expect(records.map((r) => r.key.toString().replace(/\u0000cl\u0000m\u0000.*/, 'MARKER'))).to.deep.equal(['a', 'b', 'c', 'MARKER', 'a', 'b', 'c', 'MARKER']);
    expect(records[7].value!.toString()).to.equal('{"next":10,"base":-1}');
    expect(records[6].value).to.equal(null); // c deleted in the second batch: a tombstone
    expect(await store.changelogPosition('t', 0)).to.equal(7);
    await store.close();
  });

  it('restores a partition the local store lacks (another machine) from the changelog: same state, same offset', async () => {
    const log = new MemoryChangelog();
    const a = await openStateStore({ dir: tmp(), changelog: log });
    await commitBatches(a, 5);
    const want = await entries(a, 't', 0);
    await a.close();
    const b = await openStateStore({ dir: tmp(), changelog: log });
    expect(await b.storedOffset('t', 0)).to.equal(25);
    expect(await entries(b, 't', 0)).to.deep.equal(want);
    expect(await b.changelogPosition('t', 0)).to.equal(log.logs.get(0)!.length - 1);
    await b.close();
  });

  it('drops an append cut short by a crash, and keeps what a later epoch confirmed after it', async () => {
    const log = new MemoryChangelog();
    const a = await openStateStore({ dir: tmp(), changelog: log });
    await commitBatches(a, 2);
    // The next commit delivers two records, then "crashes": no marker, nothing written locally.
    log.cutNextAppendAfter = 2;
    const lost = a.begin('t', 0);
    lost.put('a', 999);
    lost.put('zombie', 1);
    lost.put('x', 1);
    let failed = false;
    await a.commit('t', 0, lost.seal(), 15).catch(() => (failed = true));
    expect(failed).to.equal(true);
    expect(log.logs.get(0)!.length).to.equal(10);
    await a.close();
    // A new owner (new epoch) replays that input and commits again.
    const b = await openStateStore({ dir: tmp(), changelog: log });
    expect(await b.storedOffset('t', 0)).to.equal(10);
    const again = b.begin('t', 0);
    again.put('a', 3);
    await b.commit('t', 0, again.seal(), 15);
    await b.close();
    const c = await openStateStore({ dir: tmp(), changelog: log });
    expect(await c.storedOffset('t', 0)).to.equal(15);
    expect(await entries(c, 't', 0)).to.deep.equal([['a', 3], ['b', 20]]);
    await c.close();
  });

  it('catches a warm local copy up with what another owner committed meanwhile, reading only the new records', async () => {
    const log = new MemoryChangelog();
    const dirA = tmp();
    const a = await openStateStore({ dir: dirA, changelog: log });
    await commitBatches(a, 2);
    await a.release('t', 0);
    const b = await openStateStore({ dir: tmp(), changelog: log });
    await b.storedOffset('t', 0);
    await commitBatches(b, 3, 10);
    await b.close();
    const before = log.logs.get(0)!.length;
    let read = 0;
    const a2 = await openStateStore({ dir: dirA, changelog: log, onRestoreProgress: (p) => (read = p.read) });
    expect(await a2.storedOffset('t', 0)).to.equal(25);
    expect(read).to.equal(before - 8); // only what followed a's own two batches
    expect(await entries(a2, 't', 0)).to.deep.equal([['a', 5], ['b', 50], ['c', 2]]);
    await a2.close();
    await a.close();
  });

  it('goes on after a crash during restore: every local write is a whole confirmed batch, the next start finishes the job', async () => {
    const log = new MemoryChangelog();
    const a = await openStateStore({ dir: tmp(), changelog: log });
    await commitBatches(a, 40);
    const want = await entries(a, 't', 0);
    await a.close();
    const dir = tmp();
    log.failReadAfterChunks = 20;
    const crashed = await openStateStore({ dir, changelog: log });
    let err: Error | undefined;
    await crashed.storedOffset('t', 0).catch((e: Error) => (err = e));
    expect(err?.message).to.contain('crash during restore');
    await crashed.close();
    log.failReadAfterChunks = undefined;
    const restarted = await openStateStore({ dir, changelog: log });
    expect(await restarted.storedOffset('t', 0)).to.equal(200);
    expect(await entries(restarted, 't', 0)).to.deep.equal(want);
    await restarted.close();
  });

  it('seeds an empty changelog with the local state of a stage that ran without one', async () => {
    const dir = tmp();
    const local = await openStateStore({ dir });
    await commitBatches(local, 3);
    const want = await entries(local, 't', 0);
    await local.close();
    const log = new MemoryChangelog();
    const withLog = await openStateStore({ dir, changelog: log });
    expect(await withLog.storedOffset('t', 0)).to.equal(15);
    await withLog.close();
    const elsewhere = await openStateStore({ dir: tmp(), changelog: log });
    expect(await elsewhere.storedOffset('t', 0)).to.equal(15);
    expect(await entries(elsewhere, 't', 0)).to.deep.equal(want);
    await elsewhere.close();
  });

  it('refuses to restore from a changelog truncated by retention, with SEDA_STATE_CHANGELOG_TRUNCATED', async () => {
    const log = new MemoryChangelog();
    const a = await openStateStore({ dir: tmp(), changelog: log });
    await commitBatches(a, 3);
    await a.close();
    log.low.set(0, 4);
    const b = await openStateStore({ dir: tmp(), changelog: log });
    let err: { code?: string } | undefined;
    await b.storedOffset('t', 0).catch((e: { code?: string }) => (err = e));
    expect(err?.code).to.equal('SEDA_STATE_CHANGELOG_TRUNCATED');
    await b.close();
  });

  it('keeps the local copy of a released partition as a warm cache, then deletes it when its retention ends', async () => {
    const log = new MemoryChangelog();
    const store = await openStateStore({ dir: tmp(), changelog: log, warmRetentionMs: 100 });
    await commitBatches(store, 1);
    await store.release('t', 0);
    const pdir = join(store.dir, 't', '0');
    expect(existsSync(pdir)).to.equal(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(pdir)).to.equal(false);
    // It comes back from the changelog.
    expect(await store.storedOffset('t', 0)).to.equal(5);
    await store.close();
  });

  it('reads a marker only from a marker record', () => {
    const m = markerRecord('e1', 42);
    expect(m.key.toString()).to.equal('\u0000cl\u0000m\u0000e1');
    expect(m.value!.toString()).to.equal('{"next":42}');
  });
});

describe('changelog fencing (epochs <seq>.<uuid>)', () => {
  const rec = (epoch: string, key: string, value: string, offset: number) => ({ key: Buffer.from(key), value: Buffer.from(value), epoch, offset });
  const marker = (epoch: string, next: number, offset: number, base?: number) => ({ ...markerRecord(epoch, next, base), offset });

  it('drops what an owner writes after a successor with a higher sequence wrote (a zombie), confirmed or not', async () => {
    const applied: Array<[string, string | null]> = [];
    const replayer = new ChangelogReplayer((c) => {
      for (const [k, v] of c.writes) applied.push([k, v?.toString() ?? null]);
    });
    await replayer.push([
      rec('1.a', 'k', 'a1', 0),
      marker('1.a', 10, 1, -1),
      rec('2.b', 'k', 'b1', 2),
      // The zombie (sequence 1) wakes up between its successor's records and marker, and after them.
      rec('1.a', 'k', 'a2', 3),
      marker('1.a', 20, 4, -1),
      marker('2.b', 20, 5, 1),
      rec('1.a', 'k', 'a3', 6),
      marker('1.a', 30, 7, -1),
    ]);
    replayer.finish();
    expect(applied).to.deep.equal([
      ['k', 'a1'],
      ['k', 'b1'],
    ]);
    expect(replayer.fenced).to.equal(4);
    expect(replayer.maxSeq).to.equal(2);
  });

  it('a restore takes a sequence above every one in the changelog, so its own writes fence the previous owner', async () => {
    const io = new MemoryChangelog();
    const first = await openStateStore({ dir: tmp(), changelog: io });
    const b1 = first.begin('t', 0);
    b1.put('k', 1);
    await first.commit('t', 0, b1.seal(), 1);
    const second = await openStateStore({ dir: tmp(), changelog: io });
    const b2 = second.begin('t', 0);
    b2.put('k', 2);
    await second.commit('t', 0, b2.seal(), 2);
    // The first owner, not knowing it lost the partition, commits again.
    const z = first.begin('t', 0);
    z.put('k', 99);
    await first.commit('t', 0, z.seal(), 3);
    const third = await openStateStore({ dir: tmp(), changelog: io });
    expect(await entries(third, 't', 0)).to.deep.equal([['k', 2]]);
    expect(await third.storedOffset('t', 0)).to.equal(2);
    // The zombie's own copy, used again later, is rebuilt: it diverged before its position.
    const b3 = second.begin('t', 0);
    b3.put('k', 3);
    await second.commit('t', 0, b3.seal(), 4);
    await second.release('t', 0);
    await first.release('t', 0);
    expect(await entries(first, 't', 0)).to.deep.equal([['k', 3]]);
    await Promise.all([first.close(), second.close(), third.close()]);
  });
});
