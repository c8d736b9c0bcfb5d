import { once, type EventEmitter } from 'node:events';
import type { Transform } from 'node:stream';
import type { Logger, StageCounters, StateProvider } from '@seda/core';
import type { KafkaSink, KafkaSource, OffsetTracker } from '@seda/kafka';
import type { CommitPolicy } from './commit-policy.js';
import type { StageFailure } from './stage-failure.js';
import type { StateWrites } from './state-writes.js';

/** What {@link Shutdown} stops. */
export interface ShutdownParts {
  source: KafkaSource;
  transform: Transform;
  sink: KafkaSink;
  tracker: OffsetTracker;
  policy: CommitPolicy;
  state?: { provider: StateProvider; writes: StateWrites };
  /** The stage's table consumer, closed with the other clients. */
  tables?: { close(): Promise<void> };
  /** The store's standby (stopped first) and changelog (closed last), when the runtime opened the state. */
  stageState?: { stopStandby(): Promise<void>; close(): Promise<void> };
  /** How long a graceful stop waits for in-flight records. */
  timeoutMs: number;
  /** Where `stopping` is emitted (the running stage). */
  events: EventEmitter;
  failure: StageFailure;
  counters: StageCounters;
  log: Logger;
}

/**
 * A stage's stop, once: after a failure, close without committing; else stop
 * fetching, let what was fetched go through the stage and out, commit it,
 * then close the clients and the store.
 */
export class Shutdown {
  readonly #p: ShutdownParts;
  #stopped: Promise<void> | undefined;
  #resolveDone!: () => void;
  #rejectDone!: (err: Error) => void;
  /** Resolves once stopped; rejects with the error that stopped the stage. */
  readonly done: Promise<void>;

  constructor(parts: ShutdownParts) {
    this.#p = parts;
    this.done = new Promise<void>((res, rej) => {
      this.#resolveDone = res;
      this.#rejectDone = rej;
    });
    this.done.catch(() => {}); // observed through `done` by the caller
  }

  /** True once a stop began. */
  get isStopping(): boolean {
    return this.#stopped !== undefined;
  }

  /** Stops the stage (idempotent); resolves once stopped, failed or not. */
  run(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    const { source, transform, sink, tracker, policy, state, timeoutMs, failure, log } = this.#p;
    this.#p.events.emit('stopping');
    await this.#p.stageState?.stopStandby();
    policy.stopInterval();
    source.pause();
    if (failure.error === undefined) {
      // Let what was fetched go through the stage and out, then commit it.
      transform.end();
      const finished = once(sink, 'finish').then(() => true);
      const timedOut = new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref());
      if (!(await Promise.race([finished, timedOut]))) log.warn('shutdown: stage did not drain in time; uncommitted records will be redelivered');
      await sink.flush(timeoutMs).catch((err: unknown) => failure.fail(err));
      await tracker.whenDrained(source.assignment(), timeoutMs);
      await state?.writes.all();
      await policy.commitNow();
    } else {
      transform.destroy();
    }
    await source.close().catch((err: unknown) => log.warn({ err }, 'closing the consumer failed'));
    await sink.close().catch((err: unknown) => log.warn({ err }, 'closing the producer failed'));
    await this.#p.tables?.close().catch((err: unknown) => log.warn({ err }, 'closing the table consumer failed'));
    await policy.idle();
    if (state !== undefined) await state.provider.close().catch((err: unknown) => log.warn({ err }, 'closing the state store failed'));
    await this.#p.stageState?.close();
    const failed = failure.error;
    log.info({ counters: this.#p.counters }, failed ? 'stage stopped after a failure' : 'stage stopped');
    if (failed) this.#rejectDone(failed);
    else this.#resolveDone();
  }
}
