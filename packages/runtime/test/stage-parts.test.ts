import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { createMemoryState, defineStage, silentLogger, type InputBatch, type OutputBatch, type SedaError } from '@seda/core';
import { OffsetTracker } from '@seda/kafka';
import { CommitPolicy } from '../src/commit-policy.js';
import { rebalanceHandlers } from '../src/rebalance.js';
import { StageFailure } from '../src/stage-failure.js';
import { resolveInstance } from '../src/stage-instance.js';
import { StateWrites } from '../src/state-writes.js';

const stage = defineStage({
  name: 'relay',
  input: { topic: 'in' },
  outputs: { out: { topic: 'out' } },
  process(record, ctx) {
    ctx.emit('out', { value: record.value });
  },
});

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
    return undefined;
  } catch (err) {
    return (err as SedaError).code;
  }
};

describe('stage instance', () => {
  it('applies topic overrides, and the DLQ follows an overridden input', () => {
    const i = resolveInstance(stage, { input: 'in2', outputs: { out: 'out2' } });
    expect(i).to.deep.include({ mode: 'at-least-once', group: 'relay', stateful: false });
    expect(i.topics).to.deep.equal({ input: 'in2', outputs: { out: 'out2' }, dlq: 'in2.dlq' });
  });

  it('refuses an unknown output (SEDA_RUNTIME_OPTIONS)', () => {
    expect(codeOf(() => resolveInstance(stage, { outputs: { nope: 'x' } }))).to.equal('SEDA_RUNTIME_OPTIONS');
    expect(codeOf(() => resolveInstance(stage, { mode: 'exactly-once', outputs: { out: 'x' } }))).to.equal(undefined);
  });
});

/** The rebalance handlers and state writes over a memory store, with a fake group commit. */
function parts(revokeTimeoutMs = 1000) {
  const events = new EventEmitter();
  const failure = new StageFailure(events, silentLogger, () => {});
  const tracker = new OffsetTracker();
  const provider = createMemoryState();
  const committed: unknown[] = [];
  const policy = new CommitPolicy({ tracker, commit: async (o) => void committed.push(o), assignment: () => [{ topic: 'in', partition: 0 }], stateful: true, autoCommit: false, commitEveryRecords: 1000, events, failure, log: silentLogger });
  const writes = new StateWrites({ state: provider, events, failure, onWritten: (b) => policy.stateWritten(b) });
  const handlers = rebalanceHandlers({ tracker, policy, stateful: true, state: { provider, writes }, revokeTimeoutMs, events, failure, log: silentLogger });
  return { events, failure, tracker, provider, policy, writes, handlers, committed };
}

describe('rebalance and state writes (state mode)', () => {
  it('starts an assigned partition at its stored offset, and writes state in order per partition', async () => {
    const p = parts();
    const tp = { topic: 'in', partition: 0 };
    expect(await p.handlers.onAssign!([tp])).to.deep.equal([{ ...tp, offset: -1 }]); // nothing stored: the end
    const batches: OutputBatch[] = [7, 9].map((nextOffset) => {
      const b: InputBatch = { topic: 'in', partition: 0, records: [], nextOffset };
      p.policy.track(b);
      return { topic: 'in', partition: 0, nextOffset, inputCount: 1, messages: [], deadLetters: 0, ticket: b.ticket };
    });
    for (const b of batches) p.writes.write(b);
    await p.writes.all();
    expect(await p.provider.storedOffset('in', 0)).to.equal(9);
    expect(p.policy.counts.commits).to.equal(2);
    await p.handlers.onRevoke!([tp]);
    expect(p.committed).to.deep.equal([[{ ...tp, offset: 9 }]]);
    expect(await p.handlers.onAssign!([tp])).to.deep.equal([{ ...tp, offset: 9 }]);
  });

  it('has no room once StateWrites.limit delivered batches wait for their write, and says when it has again', async () => {
    const p = parts();
    await p.handlers.onAssign!([{ topic: 'in', partition: 0 }]);
    // Hold every commit until released, as a slow changelog would.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const commit = p.provider.commit.bind(p.provider);
    p.provider.commit = async (...args: Parameters<typeof commit>) => {
      await held;
      return commit(...args);
    };
    let rooms = 0;
    p.writes.onRoom(() => rooms++);
    for (let i = 1; i <= StateWrites.limit; i++) {
      expect(p.writes.hasRoom(), `before write ${i}`).to.equal(true);
      const b: InputBatch = { topic: 'in', partition: 0, records: [], nextOffset: i };
      p.policy.track(b);
      p.writes.write({ topic: 'in', partition: 0, nextOffset: i, inputCount: 1, messages: [], deadLetters: 0, ticket: b.ticket });
    }
    expect(p.writes.hasRoom()).to.equal(false);
    await new Promise((resolve) => setImmediate(resolve));
    expect(rooms).to.equal(0);
    release();
    await p.writes.all();
    expect(p.writes.hasRoom()).to.equal(true);
    expect(rooms).to.be.greaterThan(0);
    expect(await p.provider.storedOffset('in', 0)).to.equal(StateWrites.limit);
  });

  it('fails the stage when in-flight records of a revoked partition do not finish in time', async () => {
    const p = parts(50);
    const tp = { topic: 'in', partition: 0 };
    await p.handlers.onAssign!([tp]);
    p.policy.track({ ...tp, records: [], nextOffset: 3 }); // never done
    await p.handlers.onRevoke!([tp]);
    expect((p.failure.error as SedaError).code).to.equal('SEDA_RUNTIME_REVOKE_TIMEOUT');
  });
});
