import { SedaError } from './errors.js';
import type { Logger } from './logger.js';
import { isThenable, type ProcessStep } from './process-step.js';

/** How a failing record is retried: `attempts` in all, waits doubling from `backoffMs` up to `maxBackoffMs`. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

/** What {@link withRetry} needs of the context of the record being processed. */
export interface AttemptContext {
  readonly log: Logger;
  /** Input offset of the record (for the log line). */
  readonly offset: number;
  /** Undoes what the failed attempt left: its outputs and its state writes. */
  undoAttempt(): void;
}

/** Options of {@link withRetry}. */
export interface RetryOptions {
  /** Counts every retry. */
  readonly counters: { retries: number };
  /** Waits between attempts; default a timer. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether an error is worth another attempt: anything but a SedaError that says it cannot be retried. */
export function isRetriable(err: unknown): boolean {
  return !(err instanceof SedaError) || err.canRetry;
}

/** The wait after failed attempt `attempt` (1-based): `backoffMs` doubling, at most `maxBackoffMs`. */
export function backoffDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** (attempt - 1));
}

/**
 * Wraps `process` so that a failed attempt (a throw or a rejection) is undone
 * (`ctx.undoAttempt()`), counted, logged ("process failed; retrying") and
 * tried again after a backoff, up to `policy.attempts` in all. The last
 * failure, or the first one that cannot be retried, is thrown (rejected) as
 * it came, with that attempt not undone, for the caller to handle (see
 * `withDeadLetter`). A first attempt that completes synchronously stays
 * synchronous, and so does a first failure that is final.
 */
export function withRetry<R, C extends AttemptContext>(process: ProcessStep<R, C>, policy: RetryPolicy, options: RetryOptions): ProcessStep<R, C> {
  const sleep = options.sleep ?? defaultSleep;
  const counters = options.counters;
  const final = (err: unknown, attempt: number): boolean => !isRetriable(err) || attempt >= policy.attempts;

  async function again(record: R, ctx: C, first: unknown): Promise<void> {
    let err = first;
    for (let attempt = 1; ; attempt++) {
      // A failed attempt leaves no trace: neither its outputs nor its state writes.
      ctx.undoAttempt();
      counters.retries++;
      ctx.log.warn({ err, offset: ctx.offset, attempt }, 'process failed; retrying');
      await sleep(backoffDelay(policy, attempt));
      try {
        await process(record, ctx);
        return;
      } catch (e) {
        err = e;
      }
      if (final(err, attempt + 1)) throw err;
    }
  }

  return (record, ctx) => {
    let result: void | PromiseLike<void>;
    try {
      result = process(record, ctx);
    } catch (err) {
      if (final(err, 1)) throw err;
      return again(record, ctx, err);
    }
    if (!isThenable(result)) return undefined;
    return Promise.resolve(result).then(undefined, (err: unknown) => {
      if (final(err, 1)) throw err;
      return again(record, ctx, err);
    });
  };
}
