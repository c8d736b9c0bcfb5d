import { expect } from 'chai';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStateStore } from '@seda/state';
import { runSeda } from './support/process.js';

async function seedStore(dir: string): Promise<void> {
  const store = await openStateStore({ dir, owner: { stage: 'billing', group: 'billing' } });
  const b = store.begin('readings', 1);
  b.put('meter1', { total: 2.5 });
  b.put('meter2', { total: 1 });
  await store.commit('readings', 1, b.seal(), 12);
  await store.commit('readings', 3, store.begin('readings', 3).seal(), 4);
  await store.close();
}

describe('seda state', () => {
  it('lists partitions with stored offsets and key counts, and dumps entries as JSON lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seda-state-cli-'));
    await seedStore(dir);
    const list = await runSeda(['state', 'billing', '--state-dir', dir]);
    expect(list.code).to.equal(0);
    expect(list.stdout.trim().split('\n').slice(1)).to.deep.equal(['topic\tpartition\toffset\tkeys', 'readings\t1\t12\t2', 'readings\t3\t4\t0']);
    const dump = await runSeda(['state', 'billing', '--state-dir', dir, '--dump']);
    expect(dump.code).to.equal(0);
    expect(dump.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).to.deep.equal([
      { topic: 'readings', partition: 1, key: 'meter1', value: { total: 2.5 } },
      { topic: 'readings', partition: 1, key: 'meter2', value: { total: 1 } },
    ]);
  });

  it('shows partitions a running stage holds as in use, and refuses to reset them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seda-state-cli-'));
    await seedStore(dir);
    const running = await openStateStore({ dir });
    await running.storedOffset('readings', 1); // holds partition 1 like a running stage
    try {
      const list = await runSeda(['state', 'billing', '--state-dir', dir]);
      expect(list.stdout).to.contain('readings\t1\t(in use by a running stage)');
      const reset = await runSeda(['state', 'billing', '--state-dir', dir, '--reset', '--yes']);
      expect(reset.code).to.not.equal(0);
      expect(reset.stderr).to.match(/^error: .*in use by a running stage \(partitions readings\/1\)/m);
      expect(existsSync(dir)).to.equal(true);
    } finally {
      await running.close();
    }
  });

  it('resets a store only with --yes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seda-state-cli-'));
    await seedStore(dir);
    const unconfirmed = await runSeda(['state', 'billing', '--state-dir', dir, '--reset']);
    expect(unconfirmed.code).to.not.equal(0);
    expect(unconfirmed.stderr).to.match(/^error: .*add --yes/m);
    expect(existsSync(dir)).to.equal(true);
    const reset = await runSeda(['state', 'billing', '--state-dir', dir, '--reset', '--yes']);
    expect(reset.code).to.equal(0);
    expect(existsSync(dir)).to.equal(false);
  });

  it('names a missing state directory and what to pass', async () => {
    const missing = join(tmpdir(), `seda-nothing-${process.pid}`);
    const r = await runSeda(['state', 'billing', '--state-dir', missing]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(/^error: no state at .*seda-nothing/m);
  });
});
