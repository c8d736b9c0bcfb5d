import type { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import { tpKey, type OutputBatch, type StateProvider } from '@seda/core';
import type { TopicPartition } from '@seda/kafka';
import type { StageFailure } from './stage-failure.js';

/** Options of {@link StateWrites}. */
export interface StateWritesOptions {
  state: StateProvider;
  /** Runs after a batch's state and offset were written. */
  onWritten(batch: OutputBatch): void;
  /** Where `stateWritten` is emitted (the running stage). */
  events: EventEmitter;
  failure: StageFailure;
}

/**
 * State modes: writes each delivered batch's state changes with its offset,
 * in order per partition (a batch's write starts after the previous one's).
 */
export class StateWrites {
  readonly #o: StateWritesOptions;
  readonly #chains = new Map<string, Promise<void>>();
  /** Batches delivered and not written yet. */
  #queued = 0;
  /** Called when a write finished and the queue is at or below half of `limit`. */
  #onRoom: (() => void) | undefined;

  /**
   * How many delivered batches may wait for their write before the input
   * pauses (see {@link hasRoom}): a stage whose reads are cheap processes
   * faster than the changelog and LevelDB take its batches, and every batch
   * waiting keeps its change set in memory and on every state read's path.
   */
  static readonly limit = 32;

  constructor(options: StateWritesOptions) {
    this.#o = options;
  }

  /** Writes a delivered batch's state and offset after the partition's previous write; a failed write fails the stage. */
  write(batch: OutputBatch): void {
    const { state, events, failure } = this.#o;
    const key = tpKey(batch.topic, batch.partition);
    let startedAt = 0;
    this.#queued++;
    const chain = (this.#chains.get(key) ?? Promise.resolve())
      .then(() => {
        startedAt = performance.now();
        return state.commit(batch.topic, batch.partition, batch.state, batch.nextOffset);
      })
      .then(
        () => {
          events.emit('stateWritten', batch.topic, batch.partition, (performance.now() - startedAt) / 1000);
          this.#o.onWritten(batch);
        },
        (err: unknown) => failure.fail(err),
      )
      .finally(() => {
        this.#queued--;
        if (this.#queued * 2 <= StateWrites.limit) this.#onRoom?.();
      });
    this.#chains.set(key, chain);
  }

  /** Whether fewer than {@link StateWrites.limit} delivered batches wait for their write. */
  hasRoom(): boolean {
    return this.#queued < StateWrites.limit;
  }

  /** Sets what runs when the queue of writes has room again (at half the limit). */
  onRoom(callback: () => void): void {
    this.#onRoom = callback;
  }

  /** Resolves once every write started so far is done. */
  async all(): Promise<void> {
    await Promise.all(this.#chains.values());
  }

  /** Waits for the partitions' writes, then frees their stores for the next owner (maybe another process on this machine). */
  async release(partitions: TopicPartition[]): Promise<void> {
    for (const p of partitions) {
      const key = tpKey(p.topic, p.partition);
      await (this.#chains.get(key) ?? Promise.resolve());
      this.#chains.delete(key);
      await this.#o.state.release(p.topic, p.partition).catch((err: unknown) => this.#o.failure.fail(err));
    }
  }
}
