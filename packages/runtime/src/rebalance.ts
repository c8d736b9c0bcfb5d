import type { EventEmitter } from 'node:events';
import { SedaError, type Logger, type StateProvider } from '@seda/core';
import type { KafkaSourceOptions, OffsetTracker, TopicPartition, TopicPartitionOffset } from '@seda/kafka';
import type { CommitPolicy } from './commit-policy.js';
import type { StageFailure } from './stage-failure.js';
import type { StateWrites } from './state-writes.js';

/** Options of {@link rebalanceHandlers}. */
export interface RebalanceOptions {
  tracker: OffsetTracker;
  policy: CommitPolicy;
  /** State modes: partitions start at their stored offsets. */
  stateful: boolean;
  /** The stage's state and its writes, when it has a store. */
  state?: { provider: StateProvider; writes: StateWrites };
  /** Partitions without a stored offset start at the beginning (else at the end). */
  fromBeginning?: boolean;
  /** How long a revoke waits for in-flight records of the revoked partitions. */
  revokeTimeoutMs: number;
  /** Where `assigned` and `revoked` are emitted (the running stage). */
  events: EventEmitter;
  failure: StageFailure;
  log: Logger;
  /** The stage's tables: started at the positions stored with each assigned partition's state, stopped on revoke. */
  tables?: { assign(partitions: TopicPartition[], state: StateProvider): Promise<void>; revoke(partitions: TopicPartition[]): void };
  /** Checks the stored offsets a state-mode assignment starts at (throws to refuse them). */
  checkStarts?: (starts: TopicPartitionOffset[]) => Promise<void>;
}

/** What a stage does when partitions are assigned and revoked: the source's `onAssign` and `onRevoke`. */
export function rebalanceHandlers(o: RebalanceOptions): Pick<KafkaSourceOptions, 'onAssign' | 'onRevoke'> {
  const { tracker, policy, events, failure, log } = o;
  return {
    onAssign: async (partitions: TopicPartition[]) => {
      tracker.open(partitions);
      log.info({ partitions: partitions.map((p) => p.partition) }, 'partitions assigned');
      events.emit('assigned', partitions);
      if (!o.stateful || o.state === undefined) return;
      // State mode: start where the state ends, never at the group's commit (that is only for lag).
      const starts: TopicPartitionOffset[] = [];
      for (const p of partitions) {
        const stored = await o.state.provider.storedOffset(p.topic, p.partition);
        starts.push({ ...p, offset: stored ?? (o.fromBeginning ? -2 : -1) });
        if (stored !== undefined) tracker.start(p.topic, p.partition, stored);
      }
      await o.checkStarts?.(starts);
      await o.tables?.assign(partitions, o.state.provider);
      log.info({ starts }, 'starting partitions at stored offsets');
      policy.seed(starts.filter((s) => s.offset >= 0));
      return starts;
    },
    onRevoke: async (partitions: TopicPartition[]) => {
      log.info({ partitions: partitions.map((p) => p.partition) }, 'partitions revoked; finishing in-flight records');
      const drained = await tracker.whenDrained(partitions, o.revokeTimeoutMs);
      if (failure.error === undefined) {
        if (drained) {
          await policy.commitNow();
        } else if (o.stateful) {
          // Records of these partitions are still between stage and store; their state
          // writes could land after another instance took over. Stop: a restart resumes
          // exactly from the stored offsets.
          failure.fail(new SedaError('SEDA_RUNTIME_REVOKE_TIMEOUT', `in-flight records of revoked partitions did not finish within ${o.revokeTimeoutMs} ms`));
        } else {
          log.warn({ partitions }, 'revoke: in-flight records abandoned; they will be redelivered to the new owner');
          await policy.commitNow();
        }
      }
      tracker.forget(partitions);
      o.tables?.revoke(partitions);
      await o.state?.writes.release(partitions);
      events.emit('revoked', partitions);
    },
  };
}
