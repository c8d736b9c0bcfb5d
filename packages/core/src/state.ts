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

/** Event-time windows of a stateful stage: fixed-size ({@link TimeWindowSpec}) or sessions ({@link SessionWindowSpec}). */
export type WindowSpec = TimeWindowSpec | SessionWindowSpec;

/** Tumbling or hopping windows of a fixed size. Durations accept `5m`, `1h` or milliseconds. */
export interface TimeWindowSpec {
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

/**
 * Session windows: a key's records at most `gap` apart in event time form one
 * session; a record that bridges two sessions merges them (see
 * {@link WindowStore.aggregate}'s `merge`). A session closes, and is emitted
 * once, when the watermark reaches its last record's time + gap + grace.
 */
export interface SessionWindowSpec {
  session: {
    /** Inactivity gap: a record further than this from every open session of its key starts a new one. */
    gap: string | number;
    /** How long past last record + gap a session still accepts records. Default 0. */
    grace?: string | number;
    /** How long a closed session stays queryable in state, counted from its last record + gap. Default: 1 day (at least gap + grace). */
    retention?: string | number;
    /** What happens to a record too late for every session: `dlq` (default) or `drop` (counted). */
    late?: 'dlq' | 'drop';
  };
}

/** One window's aggregate, as handed to a stage's `onWindow`. */
export interface WindowResult<A = unknown> {
  key: string;
  /** Window start, inclusive, epoch ms. */
  start: number;
  /** Window end, exclusive, epoch ms; for a session, the time of its last record (inclusive). */
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
   *
   * Session windows need `merge`: when the record bridges open sessions of
   * the key, their aggregates are combined oldest first with
   * `merge(older, newer)` and the record is then folded into the result.
   */
  aggregate(key: string, timestamp: number, fold: (acc: A | undefined) => A, merge?: (older: A, newer: A) => A): Promise<boolean>;
  /** The aggregate of one window, if still in state. */
  get(key: string, windowStart: number): Promise<A | undefined>;
  /** Windows of a key (or of all keys) in state, by key, then start. */
  range(key?: string): AsyncIterable<WindowResult<A>>;
}
