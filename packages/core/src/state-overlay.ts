import { SedaError } from './errors.js';
import type { RangeOptions, StateBatch } from './state.js';

/** A pending write: a value, or a delete. */
export type Write<T> = { value: T } | null;

/** A sealed change set: the writes of one batch, in write order (last write per key wins), values in their stored form. */
export interface ChangeSet<S> {
  readonly topic: string;
  readonly partition: number;
  readonly writes: Map<string, Write<S>>;
}

/** Where committed values are read from, below the pending writes. */
export interface CommittedReader<T> {
  get(key: string): Promise<T | undefined> | T | undefined;
  /** Committed entries in key order within the bounds (no limit/reverse applied). */
  range(bounds: { gte?: string; gt?: string; lte?: string; lt?: string }): AsyncIterable<[string, T]> | Iterable<[string, T]>;
}

/** Turns prefix/gte/gt/lte/lt into plain bounds. */
export function rangeBounds(options: RangeOptions = {}): { gte?: string; gt?: string; lte?: string; lt?: string } {
  const b: { gte?: string; gt?: string; lte?: string; lt?: string } = { gte: options.gte, gt: options.gt, lte: options.lte, lt: options.lt };
  if (options.prefix !== undefined) {
    if (b.gte === undefined || b.gte < options.prefix) b.gte = options.prefix;
    const upper = `${options.prefix}\uffff`;
    if (b.lt === undefined || b.lt > upper) b.lt = upper;
  }
  return b;
}

/** Whether a key lies within bounds. */
export function inBounds(key: string, b: { gte?: string; gt?: string; lte?: string; lt?: string }): boolean {
  return (b.gte === undefined || key >= b.gte) && (b.gt === undefined || key > b.gt) && (b.lte === undefined || key <= b.lte) && (b.lt === undefined || key < b.lt);
}

/**
 * The writes of a partition that are not committed yet: sealed change sets
 * waiting for delivery, in seal order, above the committed store. Shared by
 * the in-memory and LevelDB providers so both read the same way: the batch
 * in progress first, then newer pending batches, then the committed store.
 *
 * A written value is kept in its stored form `S` (`freeze`: the encoded
 * bytes for LevelDB, a clone in memory) and every read `thaw`s a fresh copy,
 * so a stage changing a value it got or put changes nothing stored, and a
 * commit writes the stored form as it is.
 */
export class PartitionOverlay<T, S = T> {
  readonly pending: ChangeSet<S>[] = [];

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly committed: CommittedReader<T>,
    readonly freeze: (value: T) => S,
    readonly thaw: (stored: S) => T,
  ) {}

  /** Looks a key up in the pending change sets, newest first; `undefined` when none wrote it. */
  lookupPending(key: string): Write<S> | undefined {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const w = this.pending[i].writes.get(key);
      if (w !== undefined) return w;
    }
    return undefined;
  }

  /** Starts a batch on top of everything pending. */
  begin(): OverlayBatch<T, S> {
    return new OverlayBatch(this);
  }

  /** Removes and returns the oldest pending change set, which must be `changes`. */
  shift(changes: ChangeSet<S>): void {
    if (this.pending[0] !== changes) {
      throw new SedaError(
        'SEDA_STATE_ORDER',
        `state of ${this.topic}/${this.partition} must be committed in the order batches were sealed (is the change set from another store, or committed twice?)`,
      );
    }
    this.pending.shift();
  }
}

/** One batch's writes with savepoints, over a partition's overlay. */
export class OverlayBatch<T, S = T> implements StateBatch<T> {
  readonly #overlay: PartitionOverlay<T, S>;
  readonly #writes = new Map<string, Write<S>>();
  /** Undo log: key and what the batch had for it before (undefined: nothing). */
  readonly #undo: Array<[string, Write<S> | undefined]> = [];
  #sealed = false;

  constructor(overlay: PartitionOverlay<T, S>) {
    this.#overlay = overlay;
  }

  #write(key: string, w: Write<S>): void {
    if (this.#sealed) throw new SedaError('SEDA_STATE_SEALED', 'state written after its batch ended (a write from a timer or a forgotten await?)');
    if (typeof key !== 'string') throw new SedaError('SEDA_STATE_KEY', `state keys are strings (got ${typeof key}); use String(key)`);
    this.#undo.push([key, this.#writes.get(key)]);
    this.#writes.set(key, w);
  }

  async get(key: string): Promise<T | undefined> {
    const mine = this.#writes.get(key);
    if (mine !== undefined) return mine === null ? undefined : this.#overlay.thaw(mine.value);
    const pending = this.#overlay.lookupPending(key);
    if (pending !== undefined) return pending === null ? undefined : this.#overlay.thaw(pending.value);
    return this.#overlay.committed.get(key);
  }

  put(key: string, value: T): void {
    if (value === undefined) throw new SedaError('SEDA_STATE_VALUE', `state value of "${key}" is undefined; use del() to remove a key`);
    this.#write(key, { value: this.#overlay.freeze(value) });
  }

  del(key: string): void {
    this.#write(key, null);
  }

  async *range(options: RangeOptions = {}): AsyncIterable<[string, T]> {
    const bounds = rangeBounds(options);
    // Pending writes in range, newest winning, merged over the committed entries.
    const overlay = new Map<string, Write<S>>();
    for (const cs of this.#overlay.pending) for (const [k, w] of cs.writes) if (inBounds(k, bounds)) overlay.set(k, w);
    for (const [k, w] of this.#writes) if (inBounds(k, bounds)) overlay.set(k, w);
    const merged = new Map<string, T>();
    for await (const [k, v] of this.#overlay.committed.range(bounds)) if (!overlay.has(k)) merged.set(k, v);
    for (const [k, w] of overlay) if (w !== null) merged.set(k, this.#overlay.thaw(w.value));
    const keys = [...merged.keys()].sort();
    if (options.reverse) keys.reverse();
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    let n = 0;
    for (const k of keys) {
      if (n++ >= limit) return;
      yield [k, merged.get(k)!];
    }
  }

  savepoint(): number {
    return this.#undo.length;
  }

  rollback(savepoint: number): void {
    while (this.#undo.length > savepoint) {
      const [key, before] = this.#undo.pop()!;
      if (before === undefined) this.#writes.delete(key);
      else this.#writes.set(key, before);
    }
  }

  seal(): ChangeSet<S> {
    this.#sealed = true;
    const changes: ChangeSet<S> = { topic: this.#overlay.topic, partition: this.#overlay.partition, writes: this.#writes };
    this.#overlay.pending.push(changes);
    return changes;
  }
}
