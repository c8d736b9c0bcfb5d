/**
 * The changelog: a Kafka topic (compacted on a real cluster) holding every
 * committed state change of a stage, partitioned like its input, so a
 * partition's state can be rebuilt by whichever instance owns it next.
 *
 * Format. Each committed batch of input partition p appends to changelog
 * partition p, in order: one record per changed key (key = state key, value =
 * encoded value, null for a delete), then one marker record whose value is
 * the input's next offset. Every record carries the writer's epoch (a random
 * id per partition per process run) in a header; the marker's key is
 * `\0cl\0m\0<epoch>`, so compaction keeps the last marker of every epoch.
 *
 * Why restore is exact. The LevelDB batch (state + input offset + changelog
 * position) is written only after the whole changelog append was
 * acknowledged, so a crash leaves at most one incomplete append at the tail
 * of the epoch that crashed: records after that epoch's last marker. Restore
 * applies an epoch's records only when a later marker of the same epoch
 * confirms them, and drops the rest. Records of one partition come from one
 * owner at a time (the runtime releases a partition only after its last
 * commit), so epochs follow each other in the log and a marker's offset
 * confirms exactly the records of its epoch before it. A compacted log keeps
 * the newest record of every key and the last marker of every epoch, which is
 * all this needs.
 *
 * Fencing a zombie. An epoch is `<seq>.<uuid>`: each owner takes a sequence
 * number above every one it saw in the changelog (or stored locally), so a
 * later owner's epochs sort after its predecessors'. A previous owner that
 * was paused past its session timeout (SIGSTOP, a long GC, a frozen VM) may
 * still append once it runs again, after the new owner's records; restore
 * drops every record and marker whose sequence is below the highest one seen
 * so far, so a zombie's writes never reach anyone's state. (Epochs without a
 * sequence, from older versions, count as 0.)
 */

/** One record as written to or read from a changelog partition. */
export interface ChangelogRecord {
  key: Buffer;
  /** Encoded value; null for a deleted key (a tombstone). */
  value: Buffer | null;
  /** The writer's epoch (header `seda.cl.epoch`). */
  epoch: string;
}

/** A changelog record with its offset, as read back. */
export interface ReadChangelogRecord extends ChangelogRecord {
  offset: number;
}

/**
 * Kafka I/O of a changelog topic, implemented by @seda/kafka's
 * `KafkaChangelog` (and by an in-memory log in tests).
 */
export interface ChangelogIO {
  /** The changelog topic. */
  readonly topic: string;
  /** Appends records to a partition in order; resolves with the last record's offset once all are acknowledged. */
  append(partition: number, records: ChangelogRecord[]): Promise<number>;
  /** Low and high watermarks of a partition. */
  watermarks(partition: number): Promise<{ low: number; high: number }>;
  /** Reads `[from, to)` of a partition in order, in chunks; resolves after the last. */
  read(partition: number, from: number, to: number, onRecords: (records: ReadChangelogRecord[]) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/** Header carrying a changelog record's epoch. */
export const epochHeader = 'seda.cl.epoch';

const MARKER_PREFIX = '\u0000cl\u0000m\u0000';

/** The owner sequence of an epoch `<seq>.<uuid>` (0 for an epoch without one). */
export function epochSeq(epoch: string): number {
  const dot = epoch.indexOf('.');
  const seq = dot > 0 ? Number(epoch.slice(0, dot)) : 0;
  return Number.isSafeInteger(seq) ? seq : 0;
}

/**
 * The marker record closing a committed batch of `epoch`. `base`: the
 * changelog position the epoch's owner started from (the last marker its
 * state reflected when it took the partition), so a reader holding a local
 * copy can tell a successor that started before its own position: its copy
 * holds a fenced zombie's writes and is rebuilt.
 */
export function markerRecord(epoch: string, nextOffset: number, base?: number): ChangelogRecord {
  return { key: Buffer.from(MARKER_PREFIX + epoch), value: Buffer.from(JSON.stringify(base === undefined ? { next: nextOffset } : { next: nextOffset, base })), epoch };
}

/** The `base` of a marker record (see {@link markerRecord}); undefined when not recorded. */
export function markerBase(record: ChangelogRecord): number | undefined {
  if (record.value === null) return undefined;
  const base = (JSON.parse(record.value.toString()) as { base?: unknown }).base;
  return typeof base === 'number' ? base : undefined;
}

/** The input next offset a marker record stands for, or undefined when the record is not a marker. */
export function markerOffset(record: ChangelogRecord): number | undefined {
  if (record.value === null || record.key.length <= MARKER_PREFIX.length || record.key.toString('utf8', 0, MARKER_PREFIX.length) !== MARKER_PREFIX) {
    return undefined;
  }
  const next = (JSON.parse(record.value.toString()) as { next?: unknown }).next;
  return typeof next === 'number' ? next : undefined;
}

/** What a confirmed group of changelog records does to a partition's store. */
export interface ConfirmedChanges {
  /** Key writes in log order (value null: delete). */
  writes: Array<[key: string, value: Buffer | null]>;
  /** The input's next offset after these changes. */
  nextOffset: number;
  /** The marker's changelog offset. */
  position: number;
  /** The epoch's sequence and where its owner started (see {@link markerRecord}). */
  seq: number;
  base: number | undefined;
}

/**
 * Folds changelog records into confirmed groups: an epoch's records are
 * buffered until a marker of that epoch confirms them; records no marker
 * confirms (an append cut short by a crash) are dropped. Feed records in
 * offset order; `onConfirmed` receives each confirmed group in order.
 */
export class ChangelogReplayer {
  readonly #buffers = new Map<string, Array<[string, Buffer | null]>>();
  readonly #onConfirmed: (changes: ConfirmedChanges) => Promise<void> | void;
  /** Records dropped so far as never confirmed (only known once the read is over: see {@link finish}). */
  dropped = 0;
  /** Records dropped as a fenced owner's (an epoch sequence below one already seen). */
  fenced = 0;
  /** The highest epoch sequence seen so far (the next owner takes one above it). */
  maxSeq: number;

  /** `seq`: the highest epoch sequence already applied (records below it are fenced). */
  constructor(onConfirmed: (changes: ConfirmedChanges) => Promise<void> | void, seq = 0) {
    this.#onConfirmed = onConfirmed;
    this.maxSeq = seq;
  }

  async push(records: ReadChangelogRecord[]): Promise<void> {
    for (const r of records) {
      const seq = epochSeq(r.epoch);
      if (seq < this.maxSeq) {
        // A previous owner writing after its successor took over: a zombie.
        this.fenced++;
        const buffered = this.#buffers.get(r.epoch);
        if (buffered !== undefined) {
          this.fenced += buffered.length;
          this.#buffers.delete(r.epoch);
        }
        continue;
      }
      this.maxSeq = seq;
      const next = markerOffset(r);
      let buffer = this.#buffers.get(r.epoch);
      if (next === undefined) {
        if (buffer === undefined) this.#buffers.set(r.epoch, (buffer = []));
        buffer.push([r.key.toString('utf8'), r.value]);
        continue;
      }
      // A marker confirms its epoch's records; any other epoch's buffered records came
      // before it in the log, so they are an append cut short by a crash.
      for (const [epoch, other] of this.#buffers) if (epoch !== r.epoch) this.dropped += other.length;
      this.#buffers.clear();
      await this.#onConfirmed({ writes: buffer ?? [], nextOffset: next, position: r.offset, seq, base: markerBase(r) });
    }
  }

  /** Ends the read: what is still buffered was never confirmed. */
  finish(): void {
    for (const b of this.#buffers.values()) this.dropped += b.length;
    this.#buffers.clear();
  }
}
