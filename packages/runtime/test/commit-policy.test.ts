import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { SedaError, silentLogger, type InputBatch, type OutputBatch } from '@seda/core';
import { OffsetTracker, type TopicPartitionOffset } from '@seda/kafka';
import { CommitPolicy } from '../src/commit-policy.js';
import { StageFailure } from '../src/stage-failure.js';

const input = (partition: number, nextOffset: number): InputBatch => ({ topic: 't', partition, records: [], nextOffset });
const output = (b: InputBatch, inputCount = 1): OutputBatch => ({ topic: b.topic, partition: b.partition, nextOffset: b.nextOffset, inputCount, messages: [], deadLetters: 0, ticket: b.ticket });

/** A policy over a fake group commit that records what it was asked to commit. */
function policyWith(commit: (offsets: TopicPartitionOffset[]) => Promise<void>, o: { stateful?: boolean; every?: number } = {}) {
  const events = new EventEmitter();
  const failure = new StageFailure(events, silentLogger, () => {});
  const tracker = new OffsetTracker();
  tracker.open([{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }]);
  const policy = new CommitPolicy({
    tracker,
    commit,
    assignment: () => [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }],
    stateful: o.stateful ?? false,
    autoCommit: false,
    commitEveryRecords: o.every ?? 1000,
    events,
    failure,
    log: silentLogger,
  });
  return { policy, tracker, events, failure };
}

describe('commit policy', () => {
  it('commits only past batches whose outputs are done, and counts each confirmed commit', async () => {
    const committed: TopicPartitionOffset[][] = [];
    const { policy } = policyWith(async (offsets) => void committed.push(offsets));
    const [a, b, c] = [input(0, 10), input(0, 20), input(1, 5)];
    for (const batch of [a, b, c]) policy.track(batch);
    policy.ack(output(b)); // a still in flight: nothing committable on partition 0
    policy.ack(output(c));
    await policy.commitNow();
    expect(committed).to.deep.equal([[{ topic: 't', partition: 1, offset: 5 }]]);
    policy.ack(output(a));
    await policy.commitNow();
    await policy.commitNow(); // nothing new: no commit
    expect(committed[1]).to.deep.equal([{ topic: 't', partition: 0, offset: 20 }]);
    expect(policy.counts).to.deep.equal({ commits: 2, commitFailures: 0 });
  });

  it('leaves offsets of a failed retriable commit for the next commit, counted as a commit failure', async () => {
    let fail = true;
    const committed: TopicPartitionOffset[][] = [];
    const { policy, failure } = policyWith(async (offsets) => {
      if (fail) throw new SedaError('SEDA_KAFKA_COMMIT', 'rebalance in progress', { canRetry: true });
      committed.push(offsets);
    });
    const a = input(0, 3);
    policy.track(a);
    policy.ack(output(a));
    await policy.commitNow();
    fail = false;
    await policy.commitNow();
    expect(committed).to.deep.equal([[{ topic: 't', partition: 0, offset: 3 }]]);
    expect(policy.counts).to.deep.equal({ commits: 1, commitFailures: 1 });
    expect(failure.error).to.equal(undefined);
  });

  it('fails the stage on a commit error that retrying cannot fix, and commits nothing after it', async () => {
    let calls = 0;
    const { policy, failure } = policyWith(async () => {
      calls++;
      throw new SedaError('SEDA_KAFKA_COMMIT', 'not authorized', { canRetry: false });
    });
    const a = input(0, 3);
    policy.track(a);
    policy.ack(output(a));
    await policy.commitNow();
    await policy.commitNow();
    expect((failure.error as SedaError).code).to.equal('SEDA_RUNTIME_FAILED');
    expect(calls).to.equal(1);
  });

  it('ignores acks of a revoked partition, and of a stale ticket once the partition is assigned again', async () => {
    const committed: TopicPartitionOffset[][] = [];
    const { policy, tracker, events } = policyWith(async (offsets) => void committed.push(offsets));
    let done = 0;
    events.on('batch', () => done++);
    const stale = input(0, 10);
    policy.track(stale);
    tracker.forget([{ topic: 't', partition: 0 }]);
    policy.track(input(0, 99)); // buffered before the revoke, read after: no ticket
    tracker.open([{ topic: 't', partition: 0 }]);
    const fresh = input(0, 10);
    policy.track(fresh);
    policy.ack(output(stale));
    await policy.commitNow();
    expect(committed).to.deep.equal([]);
    expect(done).to.equal(0);
    policy.ack(output(fresh));
    await policy.commitNow();
    expect(committed).to.deep.equal([[{ topic: 't', partition: 0, offset: 10 }]]);
    expect(done).to.equal(1);
  });

  it('finds the ticket by offset when a hand-written Transform did not carry it', async () => {
    const committed: TopicPartitionOffset[][] = [];
    const { policy } = policyWith(async (offsets) => void committed.push(offsets));
    const a = input(1, 7);
    policy.track(a);
    policy.ack({ ...output(a), ticket: undefined });
    await policy.commitNow();
    expect(committed).to.deep.equal([[{ topic: 't', partition: 1, offset: 7 }]]);
  });

  it('commits early once commitEveryRecords records are done', async () => {
    const committed: TopicPartitionOffset[][] = [];
    const { policy } = policyWith(async (offsets) => void committed.push(offsets), { every: 10 });
    const a = input(0, 4);
    const b = input(0, 10);
    policy.track(a);
    policy.track(b);
    policy.ack(output(a, 4));
    await policy.idle();
    expect(committed).to.have.length(0);
    policy.ack(output(b, 6));
    await policy.idle();
    expect(committed).to.deep.equal([[{ topic: 't', partition: 0, offset: 10 }]]);
  });

  it('state mode: seeds the stored offsets of partitions just assigned, retried after a failed commit, never counted as commits', async () => {
    let fail = true;
    const committed: TopicPartitionOffset[][] = [];
    const { policy } = policyWith(
      async (offsets) => {
        if (fail) throw new SedaError('SEDA_KAFKA_COMMIT', 'coordinator moving', { canRetry: true });
        committed.push(offsets);
      },
      { stateful: true },
    );
    policy.seed([{ topic: 't', partition: 1, offset: 42 }]);
    await policy.commitNow();
    fail = false;
    await policy.commitNow();
    expect(committed).to.deep.equal([[{ topic: 't', partition: 1, offset: 42 }]]);
    expect(policy.counts).to.deep.equal({ commits: 0, commitFailures: 0 });
    const a = input(0, 5);
    policy.track(a);
    policy.stateWritten(output(a));
    expect(policy.counts.commits).to.equal(1);
  });
});
