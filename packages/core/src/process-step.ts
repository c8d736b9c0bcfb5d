/**
 * One step of a stage's record path: `process`, or a wrapper composed around
 * it (retry, dead-lettering). A step that completes synchronously returns
 * undefined, so sync stages run with no per-record promise.
 */
export type ProcessStep<R, C> = (record: R, ctx: C) => void | PromiseLike<void>;

/** True for a promise or any other `then`-able. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}
