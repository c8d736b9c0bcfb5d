import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listTopics } from '@seda/kafka';
import { createMemoryState, defineStage } from '@seda/core';
import { runStage, type RunningStage } from '@seda/runtime';
import { createTestTopic, testBroker } from './support/broker.js';
import { waitFor } from './support/process.js';
import { produceRaw } from './support/topic-io.js';

const relay = defineStage({
  name: 'relay',
  input: { topic: 'unused', codec: 'string' },
  outputs: { out: { topic: 'unused', codec: 'string' } },
  process(record, ctx) {
    ctx.emit('out', { key: record.key, value: record.value });
  },
});

describe('running stage', function () {
  this.timeout(60_000);

  it('counts confirmed group commits live in `commits` (at-least-once)', async () => {
    const input = await createTestTopic('rs-in', 1);
    const output = await createTestTopic('rs-out', 1);
    await produceRaw(testBroker().bootstrap, input, Array.from({ length: 100 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
    const running: RunningStage = await runStage(relay, {
      brokers: testBroker().bootstrap,
      group: `rs-${input}`,
      input,
      outputs: { out: output },
      fromBeginning: true,
      commitIntervalMs: 100,
    });
    let confirmed = 0;
    running.on('committed', () => confirmed++);
    try {
      await waitFor(() => confirmed > 0 && running.counters.recordsIn >= 100, 30_000, 'a confirmed commit of the 100 records');
      expect(running.commits).to.be.greaterThan(0); // read live (a copied getter value stayed 0)
      expect(running.commits).to.equal(confirmed);
      expect(running.commitFailures).to.equal(0);
    } finally {
      await running.stop();
    }
    expect(running.commits).to.equal(confirmed); // the final commit at stop counted too
  });

  it('counts state writes in `commits` (state mode)', async () => {
    const input = await createTestTopic('rs-state-in', 1);
    const output = await createTestTopic('rs-state-out', 1);
    await produceRaw(testBroker().bootstrap, input, Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
    const running = await runStage(relay, {
      brokers: testBroker().bootstrap,
      group: `rs-${input}`,
      mode: 'state',
      state: createMemoryState(),
      input,
      outputs: { out: output },
      fromBeginning: true,
    });
    let written = 0;
    running.on('stateWritten', () => written++);
    try {
      await waitFor(() => running.counters.recordsIn >= 20 && written > 0, 30_000, 'state written for the 20 records');
      expect(running.commits).to.equal(written);
    } finally {
      await running.stop();
    }
  });

  it('opens LevelDB under stateDir with its changelog itself, as seda run does, and closes both at stop', async () => {
    const input = await createTestTopic('rs-dir-in', 2);
    const output = await createTestTopic('rs-dir-out', 1);
    await produceRaw(testBroker().bootstrap, input, Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
    const stateDir = mkdtempSync(join(tmpdir(), 'seda-rs-state-'));
    const group = `rs-${input}`;
    const running = await runStage(relay, { brokers: testBroker().bootstrap, group, mode: 'state', stateDir, input, outputs: { out: output }, fromBeginning: true });
    try {
      expect(running.state?.changelog?.topic).to.equal(`${group}-relay-changelog`);
      await waitFor(() => running.commits > 0 && running.counters.recordsIn >= 20, 30_000, 'state written for the 20 records');
      const topics = await listTopics(testBroker().bootstrap);
      expect(topics.find((t) => t.name === `${group}-relay-changelog`)?.partitions).to.equal(2);
      expect(await running.state!.store.storedOffset(input, 0) ?? await running.state!.store.storedOffset(input, 1)).to.be.greaterThan(0);
    } finally {
      await running.stop();
    }
  });
});
