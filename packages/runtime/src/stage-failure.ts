import type { EventEmitter } from 'node:events';
import type { Logger } from '@seda/core';

/**
 * The first error that stops a stage: once set, nothing commits past it, and
 * `failed` is emitted once. Shared by the runtime's parts.
 */
export class StageFailure {
  #error: Error | undefined;
  readonly #events: EventEmitter;
  readonly #log: Logger;
  readonly #onFail: () => void;

  /** `onFail` runs once, after the first failure (the runtime starts its shutdown there). */
  constructor(events: EventEmitter, log: Logger, onFail: () => void) {
    this.#events = events;
    this.#log = log;
    this.#onFail = onFail;
  }

  /** The error that stopped the stage, if any. */
  get error(): Error | undefined {
    return this.#error;
  }

  /** Records the first failure (later ones are ignored), emits `failed` and stops the stage. */
  fail(err: unknown): void {
    if (this.#error !== undefined) return;
    this.#error = err instanceof Error ? err : new Error(String(err));
    this.#log.error({ err: this.#error }, 'stage failed; stopping without committing past the failure');
    this.#events.emit('failed', this.#error);
    this.#onFail();
  }
}
