import { join, resolve } from 'node:path';
import { tpKey, type Logger, type Stage } from '@seda/core';
import { describeTopic, listTopics, openChangelog, type KafkaChangelog, type KafkaProperties } from '@seda/kafka';
import { openStateStore, startStandby, type LevelStateStore, type RestoreProgress } from '@seda/state';

/** A partition's changelog restores in this process, for metrics. */
export interface RestoreStatus {
  topic: string;
  partition: number;
  /** Changelog records replayed so far, every restore of the partition added up. */
  restored: number;
  /** Records still to read in the restore in progress (0 when none is). */
  remaining: number;
}

/** Options of {@link openStageState}. */
export interface StageStateOptions {
  brokers: string;
  group: string;
  kafka: KafkaProperties;
  log: Logger;
  /** The input topic: the changelog is partitioned like it. */
  input: string;
  /** Where LevelDB keeps the state; `.seda/state/<group>` by default. */
  stateDir?: string;
  /** Keep a changelog topic `<group>-<stage>-changelog`. Default true. */
  changelog?: boolean;
}

/** A stateful stage's store with its changelog, opened by the runtime. */
export interface StageState {
  readonly store: LevelStateStore;
  readonly changelog?: KafkaChangelog;
  /** Restores so far, per partition. */
  restores(): RestoreStatus[];
  /** Keeps warm copies of partitions this process does not own (needs the changelog); false when there is none. */
  startStandby(partitions: number): boolean;
  /** Stops the standby (before the store closes). */
  stopStandby(): Promise<void>;
  /** Stops the standby and closes the changelog (after the store closed, with the stage). */
  close(): Promise<void>;
}

/**
 * Opens a stateful stage's LevelDB store under the state directory, with its
 * changelog topic `<group>-<stage>-changelog` (created partitioned like the
 * input) unless disabled.
 */
export async function openStageState(stage: Stage, o: StageStateOptions): Promise<StageState> {
  // The workers of one group share the directory: each partition's store has one owner at a time.
  const dir = resolve(o.stateDir ?? join('.seda', 'state', o.group));
  let changelog: KafkaChangelog | undefined;
  // A missing input topic is reported by the runtime's topic check, with what to do.
  if (o.changelog !== false && (await listTopics(o.brokers, o.kafka)).some((t) => t.name === o.input)) {
    const partitions = (await describeTopic(o.brokers, o.input, o.kafka)).length;
    changelog = await openChangelog({ brokers: o.brokers, topic: `${o.group}-${stage.name}-changelog`, partitions, kafka: o.kafka, log: o.log });
  }
  const restores = new Map<string, RestoreStatus & { read: number }>();
  const onRestoreProgress = (p: RestoreProgress): void => {
    const key = tpKey(p.topic, p.partition);
    const r = restores.get(key) ?? { topic: p.topic, partition: p.partition, restored: 0, remaining: 0, read: 0 };
    // Progress counts the records of the restore in progress; `restored` adds up every restore.
    r.restored += p.read - r.read;
    r.read = p.done ? 0 : p.read;
    r.remaining = p.done ? 0 : p.total - p.read;
    restores.set(key, r);
  };
  let store: LevelStateStore;
  try {
    store = await openStateStore({ dir, codec: stage.state?.codec, log: o.log, owner: { stage: stage.name, group: o.group }, changelog, onRestoreProgress });
  } catch (err) {
    await changelog?.close().catch(() => {});
    throw err;
  }
  o.log.info({ dir, changelog: changelog?.topic }, 'state store opened');
  let stopStandby: () => Promise<void> = async () => {};
  return {
    store,
    changelog,
    restores: () => [...restores.values()].map(({ topic, partition, restored, remaining }) => ({ topic, partition, restored, remaining })),
    startStandby(partitions) {
      if (changelog === undefined) return false;
      stopStandby = startStandby({ store, topic: o.input, partitions, log: o.log });
      return true;
    },
    stopStandby: () => stopStandby(),
    async close() {
      await stopStandby();
      await changelog?.close().catch((err: unknown) => o.log.warn({ err }, 'closing the changelog failed'));
    },
  };
}
