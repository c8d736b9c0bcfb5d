import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stateProviderContract, type StateProvider } from '@seda/core';
import { openStateStore, type LevelStateStore } from '../src/index.js';

const dirs = new WeakMap<StateProvider, string>();
const fresh = async (): Promise<LevelStateStore> => {
  const dir = mkdtempSync(join(tmpdir(), 'seda-state-'));
  const store = await openStateStore({ dir });
  dirs.set(store, dir);
  return store;
};

async function codeOf(p: Promise<unknown>): Promise<{ code?: string; message?: string } | undefined> {
  try {
    await p;
  } catch (e) {
    return e as { code?: string; message?: string };
  }
  return undefined;
}

/**
 * A separate process that commits offset 9 to partition t/0 of `dir`, holds it,
 * and releases it when sent "release" on stdin.
 */
async function holdPartition(dir: string): Promise<ChildProcess> {
  const storeModule = fileURLToPath(new URL('../src/index.js', import.meta.url));
  const holder = spawn(process.execPath, [
    '--input-type=module',
    '-e',
    `const { openStateStore } = await import(${JSON.stringify(storeModule)});
     const s = await openStateStore({ dir: ${JSON.stringify(dir)} });
     const b = s.begin('t', 0); b.put('k', 1); await s.commit('t', 0, b.seal(), 9);
     console.log('holding');
     process.stdin.on('data', async () => { await s.release('t', 0); console.log('released'); });`,
  ]);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('holder did not open the store')), 15_000);
    holder.stdout!.on('data', (d: Buffer) => d.toString().includes('holding') && (clearTimeout(timer), resolve()));
    holder.on('exit', () => reject(new Error('holder exited')));
  });
  return holder;
}

describe('LevelDB state store', () => {
  stateProviderContract({
    describe,
    it,
    factory: fresh,
    reopen: async (closed) => openStateStore({ dir: dirs.get(closed)! }),
    supports: { persistence: true },
  });

  it('keeps one LevelDB per input partition, so a partition can be moved or dropped on its own', async () => {
    const store = await fresh();
    const b = store.begin('readings', 2);
    b.put('meter1', { kwh: 1 });
    b.put('meter2', { kwh: 2 });
    await store.commit('readings', 2, b.seal(), 40);
    await store.commit('readings', 0, store.begin('readings', 0).seal(), 3);
    expect(readdirSync(join(store.dir, 'readings')).sort()).to.deep.equal(['0', '2']);
    expect(await store.partitions()).to.deep.equal([
      { topic: 'readings', partition: 0, offset: 3, keys: 0 },
      { topic: 'readings', partition: 2, offset: 40, keys: 2 },
    ]);
    const rows: Array<[string, unknown]> = [];
    for await (const row of store.entries('readings', 2)) rows.push(row);
    expect(rows).to.deep.equal([['meter1', { kwh: 1 }], ['meter2', { kwh: 2 }]]);
    await store.dropPartition('readings', 2);
    expect((await store.partitions()).map((p) => p.partition)).to.deep.equal([0]);
    expect(await store.storedOffset('readings', 2)).to.equal(undefined);
    expect(await store.sizeBytes()).to.be.above(0);
    await store.close();
  });

  it('refuses a partition held by another live process with SEDA_STATE_LOCKED naming it, once the lock wait is over', async function () {
    this.timeout(20_000);
    const dir = mkdtempSync(join(tmpdir(), 'seda-lock-'));
    const holder = await holdPartition(dir);
    try {
      const store = await openStateStore({ dir, lockTimeoutMs: 300 });
      const err = await codeOf(store.storedOffset('t', 0));
      expect(err?.code).to.equal('SEDA_STATE_LOCKED');
      expect(err?.message).to.contain(join(dir, 't', '0'));
      // Other partitions are free, and listing reports the held one as in use.
      await store.commit('t', 1, store.begin('t', 1).seal(), 1);
      expect(await store.partitions()).to.deep.equal([
        { topic: 't', partition: 0, offset: undefined, keys: 0, inUse: true },
        { topic: 't', partition: 1, offset: 1, keys: 0 },
      ]);
      await store.close();
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('hands a partition over: the next owner waits for the previous one to release it and reads its committed state', async function () {
    this.timeout(20_000);
    const dir = mkdtempSync(join(tmpdir(), 'seda-handoff-'));
    const holder = await holdPartition(dir);
    try {
      const store = await openStateStore({ dir, lockTimeoutMs: 10_000 });
      const offset = store.storedOffset('t', 0);
      setTimeout(() => holder.stdin!.write('release\n'), 300);
      expect(await offset).to.equal(9);
      expect(await store.begin('t', 0).get('k')).to.equal(1);
      await store.close();
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('takes over a partition at once from an owner killed with SIGKILL', async function () {
    this.timeout(20_000);
    const dir = mkdtempSync(join(tmpdir(), 'seda-killed-'));
    const holder = await holdPartition(dir);
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    const store = await openStateStore({ dir, lockTimeoutMs: 0 });
    expect(await store.storedOffset('t', 0)).to.equal(9);
    await store.close();
  });

  it('refuses a directory that belongs to another stage or group with SEDA_STATE_OWNER', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seda-owner-'));
    const mine = await openStateStore({ dir, owner: { stage: 'billing', group: 'billing' } });
    const sameGroup = await openStateStore({ dir, owner: { stage: 'billing', group: 'billing' } });
    await sameGroup.close();
    await mine.close();
    const err = await codeOf(openStateStore({ dir, owner: { stage: 'audit', group: 'audit' } }));
    expect(err?.code).to.equal('SEDA_STATE_OWNER');
    expect(err?.message).to.contain(dir);
  });

  it('stops with SEDA_STATE_CORRUPT on a partition with garbled files, never starting from empty', async () => {
    const store = await fresh();
    const dir = dirs.get(store)!;
    for (let i = 0; i < 50; i++) {
      const b = store.begin('t', 0);
      b.put(`k${i}`, { i });
      await store.commit('t', 0, b.seal(), i + 1);
    }
    await store.close();
    // Real bad bytes: overwrite the manifest LevelDB needs to find its tables.
    const pdir = join(dir, 't', '0');
    const manifest = readdirSync(pdir).find((f) => f.startsWith('MANIFEST-'))!;
    writeFileSync(join(pdir, manifest), Buffer.alloc(4096, 0xab));
    const reopened = await openStateStore({ dir });
    const err = await codeOf(reopened.storedOffset('t', 0));
    expect(err?.code).to.equal('SEDA_STATE_CORRUPT');
    expect(err?.message).to.contain(pdir);
    await reopened.close();
  });

  describe('read cache of committed writes', () => {
    for (const cacheEntries of [2, 100_000]) {
      it(`reads what the last commit wrote, deleted or dropped, with room for ${cacheEntries} entries`, async () => {
        const dir = mkdtempSync(join(tmpdir(), 'seda-state-cache-'));
        const store = await openStateStore({ dir, cacheEntries });
        const read = async (key: string, partition = 0): Promise<unknown> => store.begin('t', partition).get(key);
        const commit = async (partition: number, offset: number, write: (b: ReturnType<LevelStateStore['begin']>) => void): Promise<void> => {
          const b = store.begin('t', partition);
          write(b);
          await store.commit('t', partition, b.seal(), offset);
        };
        await commit(0, 1, (b) => ['a', 'b', 'c'].forEach((k, i) => b.put(k, { v: i })));
        await commit(0, 2, (b) => {
          b.put('a', { v: 10 });
          b.del('b');
        });
        await commit(1, 1, (b) => b.put('a', { v: 'other partition' }));
        expect(await read('a')).to.deep.equal({ v: 10 });
        expect(await read('b')).to.equal(undefined);
        expect(await read('c')).to.deep.equal({ v: 2 });
        expect(await read('a', 1)).to.deep.equal({ v: 'other partition' });
        // A value read from the cache is a copy: changing it changes nothing stored.
        ((await read('a')) as { v: number }).v = 99;
        expect(await read('a')).to.deep.equal({ v: 10 });
        await store.dropPartition('t', 0);
        expect(await read('a')).to.equal(undefined);
        expect(await read('c')).to.equal(undefined);
        expect(await read('a', 1)).to.deep.equal({ v: 'other partition' });
        await store.close();
        const reopened = await openStateStore({ dir, cacheEntries });
        expect(await reopened.begin('t', 1).get('a')).to.deep.equal({ v: 'other partition' });
        await reopened.close();
      });
    }
  });
});
