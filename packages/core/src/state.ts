/**
 * The state contract. A stage reads and writes its state through a
 * {@link StateStore}; the runtime owns the backing store (LevelDB in
 * @seda/state, memory in the test driver) and writes each batch's changes in
 * one atomic batch together with the input offsets they reflect.
 */

/** Options of an ordered scan. Keys compare as UTF-8 strings. */
export interface RangeOptions {
  /** Only keys that start with this prefix. */
  prefix?: string;
  gte?: string;
  gt?: string;
  lte?: string;
  lt?: string;
  limit?: number;
  reverse?: boolean;
}

/**
 * Key/value state of one input partition, as a stage sees it: reads see the
 * writes of the batch in progress and of batches not yet committed.
 */
export interface StateStore<V = unknown> {
  get(key: string): Promise<V | undefined>;
  put(key: string, value: V): void;
  del(key: string): void;
  /** Entries in key order (or reverse), merged with pending writes. */
  range(options?: RangeOptions): AsyncIterable<[string, V]>;
}

/**
 * The writes of one batch of one partition, still in progress. The stage
 * transform takes a savepoint before each record and rolls back to it when
 * the record fails, so a failed attempt leaves no trace in state.
 */
export interface StateBatch<V = unknown> extends StateStore<V> {
  savepoint(): number;
  rollback(savepoint: number): void;
  /**
   * Ends the batch: its writes become visible to later batches and are
   * returned as an opaque change set for {@link StateProvider.commit}.
   */
  seal(): unknown;
}

/** Where per-partition state comes from; implemented by the LevelDB store and the in-memory store. */
export interface StateProvider {
  /** Starts the writes of one batch of `topic`/`partition`. */
  begin(topic: string, partition: number): StateBatch;
  /**
   * Writes a sealed change set and the partition's next offset in one atomic
   * write. Change sets of a partition are committed in the order they were sealed.
   */
  commit(topic: string, partition: number, changes: unknown, nextOffset: number): Promise<void>;
  /** The stored next offset of a partition, or undefined when none is stored. */
  storedOffset(topic: string, partition: number): Promise<number | undefined>;
  /**
   * Lets a partition go (on revoke): waits for its commits in flight, drops
   * what is uncommitted and frees its storage for the partition's next owner.
   * Committed state stays stored; the next use of the partition reopens it.
   */
  release(topic: string, partition: number): Promise<void>;
  close(): Promise<void>;
}

/** Event-time windows of a stateful stage. Durations accept `5m`, `1h` or milliseconds. */
export interface WindowSpec {
  /** Window length. */
  size: string | number;
  /** Step between window starts; equal to `size` (tumbling) by default. Smaller than size gives hopping windows. */
  advance?: string | number;
  /** How long after a window's end records are still accepted. Default 0. */
  grace?: string | number;
  /** How long after a window's end its aggregate stays queryable in state. Default: 1 day (at least size + grace). */
  retention?: string | number;
  /** `final` (default): a window is emitted once, when the watermark passes end + grace; `update`: also on every change. */
  emit?: 'final' | 'update';
  /** What happens to a record too late for every window it belongs to: `dlq` (default) or `drop` (counted). */
  late?: 'dlq' | 'drop';
}

/** One window's aggregate, as handed to a stage's `onWindow`. */
export interface WindowResult<A = unknown> {
  key: string;
  /** Window start, inclusive, epoch ms. */
  start: number;
  /** Window end, exclusive, epoch ms. */
  end: number;
  value: A;
  /** True when the window is closed (its last emission). */
  final: boolean;
}

/** Windowed aggregation over a partition's state. */
export interface WindowStore<A = unknown> {
  /**
   * Folds a record at event time `timestamp` into every window of `key` that
   * contains it. Returns false when the record is too late for all of them
   * (then dropped or dead-lettered per the spec's `late`).
   */
  aggregate(key: string, timestamp: number, fold: (acc: A | undefined) => A): Promise<boolean>;
  /** The aggregate of one window, if still in state. */
  get(key: string, windowStart: number): Promise<A | undefined>;
  /** Windows of a key (or of all keys) in state, by key, then start. */
  range(key?: string): AsyncIterable<WindowResult<A>>;
}
