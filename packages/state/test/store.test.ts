import { expect } from 'chai';
import { spawn } from 'node:child_process';
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

describe('LevelDB state store', () => {
  stateProviderContract({
    describe,
    it,
    factory: fresh,
    reopen: async (closed) => openStateStore({ dir: dirs.get(closed)! }),
    supports: { persistence: true },
  });

  it('lists partitions with stored offsets and key counts, and dumps entries', async () => {
    const store = await fresh();
    const b = store.begin('readings', 2);
    b.put('meter1', { kwh: 1 });
    b.put('meter2', { kwh: 2 });
    await store.commit('readings', 2, b.seal(), 40);
    await store.commit('readings', 0, store.begin('readings', 0).seal(), 3);
    expect(await store.partitions()).to.deep.equal([
      { topic: 'readings', partition: 0, offset: 3, keys: 0 },
      { topic: 'readings', partition: 2, offset: 40, keys: 2 },
    ]);
    const rows: Array<[string, unknown]> = [];
    for await (const row of store.entries('readings', 2)) rows.push(row);
    expect(rows).to.deep.equal([['meter1', { kwh: 1 }], ['meter2', { kwh: 2 }]]);
    await store.dropPartition('readings', 2);
    expect((await store.partitions()).map((p) => p.partition)).to.deep.equal([0]);
    await store.close();
  });

  it('refuses a directory held by another live process with SEDA_STATE_LOCKED naming it', async function () {
    this.timeout(20_000);
    const dir = mkdtempSync(join(tmpdir(), 'seda-lock-'));
    const storeModule = fileURLToPath(new URL('../src/index.js', import.meta.url));
    const holder = spawn(process.execPath, [
      '--input-type=module',
      '-e',
      `const { openStateStore } = await import(${JSON.stringify(storeModule)}); await openStateStore({ dir: ${JSON.stringify(dir)} }); console.log('open'); setInterval(() => {}, 1000);`,
    ]);
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('holder did not open the store')), 15_000);
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('open') && (clearTimeout(timer), resolve()));
        holder.on('exit', () => reject(new Error('holder exited')));
      });
      let err: { code?: string; message?: string } | undefined;
      try {
        await openStateStore({ dir });
      } catch (e) {
        err = e as { code?: string };
      }
      expect(err?.code).to.equal('SEDA_STATE_LOCKED');
      expect(err?.message).to.contain(dir);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('stops with SEDA_STATE_CORRUPT on a store with garbled files, never starting from empty', async () => {
    const store = await fresh();
    const dir = dirs.get(store)!;
    for (let i = 0; i < 50; i++) {
      const b = store.begin('t', 0);
      b.put(`k${i}`, { i });
      await store.commit('t', 0, b.seal(), i + 1);
    }
    await store.close();
    // Real bad bytes: overwrite the manifest LevelDB needs to find its tables.
    const manifest = readdirSync(dir).find((f) => f.startsWith('MANIFEST-'))!;
    writeFileSync(join(dir, manifest), Buffer.alloc(4096, 0xab));
    let err: { code?: string; message?: string } | undefined;
    try {
      await openStateStore({ dir });
    } catch (e) {
      err = e as { code?: string };
    }
    expect(err?.code).to.equal('SEDA_STATE_CORRUPT');
    expect(err?.message).to.contain(dir);
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
