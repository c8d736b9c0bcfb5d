import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { ClassicLevel } from 'classic-level';
import {
  PartitionOverlay,
  resolveCodec,
  SedaError,
  silentLogger,
  type ChangeSet,
  type Codec,
  type CodecSpec,
  type Logger,
  type StateBatch,
  type StateProvider,
} from '@seda/core';

/**
 * Recently written values in two generations: writes and hits go to the young
 * map; when it is full it becomes the old one and the previous old one is
 * dropped. Every operation is O(1) (an LRU over one Map would walk the holes
 * its evictions leave at the front on every eviction).
 */
class RecentValues {
  #young = new Map<string, Buffer>();
  #old = new Map<string, Buffer>();
  readonly #half: number;

  constructor(entries: number) {
    this.#half = Math.max(0, Math.floor(entries / 2));
  }

  get(key: string): Buffer | undefined {
    const young = this.#young.get(key);
    if (young !== undefined) return young;
    const old = this.#old.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: string, value: Buffer): void {
    if (this.#half === 0) return;
    if (this.#young.size >= this.#half && !this.#young.has(key)) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(key, value);
  }

  delete(key: string): void {
    this.#young.delete(key);
    this.#old.delete(key);
  }

  deletePrefix(prefix: string): void {
    for (const map of [this.#young, this.#old]) for (const k of [...map.keys()]) if (k.startsWith(prefix)) map.delete(k);
  }
}

/** Options of {@link openStateStore}. */
export interface StateStoreOptions {
  /** The store's directory; created if missing. One live process at a time. */
  dir: string;
  /** Codec of values; `json` by default. */
  codec?: CodecSpec;
  log?: Logger;
  /** fsync every commit (survives a machine crash, not only a process crash). Default false. */
  sync?: boolean;
  /**
   * Committed values kept in memory (encoded; about this many recently
   * written or read ones): reading a key this store wrote recently skips
   * LevelDB, whose every get is a round trip to a worker thread. Default
   * 100000; 0: none.
   */
  cacheEntries?: number;
}

/** A partition's stored offset and key count. */
export interface StoredPartition {
  topic: string;
  partition: number;
  offset: number | undefined;
  keys: number;
}

/** The LevelDB state store of one stage instance. */
export interface LevelStateStore extends StateProvider {
  readonly dir: string;
  /** Partitions with stored state or offsets. */
  partitions(): Promise<StoredPartition[]>;
  /** Committed entries of a partition in key order. */
  entries(topic: string, partition: number): AsyncIterable<[string, unknown]>;
  /** Deletes a partition's state and offset (e.g. it moved for good). */
  dropPartition(topic: string, partition: number): Promise<void>;
  /** Approximate size on disk, bytes. */
  sizeBytes(): Promise<number>;
}

const SEP = '\u0000';
const EMPTY = Buffer.alloc(0);
const stateKey = (topic: string, partition: number, key: string): string => `s${SEP}${topic}${SEP}${partition}${SEP}${key}`;
const statePrefix = (topic: string, partition: number): string => `s${SEP}${topic}${SEP}${partition}${SEP}`;
const offsetKey = (topic: string, partition: number): string => `o${SEP}${topic}${SEP}${partition}`;

function openError(dir: string, err: unknown): SedaError {
  const codes = [(err as { code?: string }).code, (err as { cause?: { code?: string } }).cause?.code];
  const detail = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
  if (codes.includes('LEVEL_LOCKED')) {
    return new SedaError('SEDA_STATE_LOCKED', `state directory ${dir} is in use by another live process (another seda instance?); stop it, or give this one its own --state-dir`, { cause: err });
  }
  if (codes.includes('LEVEL_CORRUPTION')) {
    return new SedaError(
      'SEDA_STATE_CORRUPT',
      `state directory ${dir} is corrupt (${detail}); seda will not start from empty on its own: move the directory away and restart to rebuild from the input (or \`seda state --reset --yes\`)`,
      { cause: err },
    );
  }
  return new SedaError('SEDA_STATE_OPEN', `cannot open state directory ${dir}: ${detail}`, { cause: err });
}

/**
 * Opens the LevelDB state store of a stage instance. State is organised by
 * input partition; each batch's changes are written with the partition's next
 * offset in one atomic LevelDB batch, so state and offsets never disagree.
 */
export async function openStateStore(options: StateStoreOptions): Promise<LevelStateStore> {
  const dir = resolve(options.dir);
  const log = options.log ?? silentLogger;
  const codec: Codec<unknown> = resolveCodec(options.codec, 'json', 'state codec');
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw openError(dir, err);
  }
  const db = new ClassicLevel<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  try {
    await db.open({ passive: false });
  } catch (err) {
    throw openError(dir, err);
  }
  const writeOptions = { sync: options.sync === true };
  const overlays = new Map<string, PartitionOverlay<unknown, Buffer>>();
  /** Committed values by LevelDB key. Only commits fill it, so it never holds a value older than LevelDB's. */
  const cache = new RecentValues(options.cacheEntries ?? 100_000);
  // Written values are kept encoded (what the commit writes); every read decodes a fresh copy.
  const freeze = (value: unknown): Buffer => codec.encode(value) ?? EMPTY;
  const decode = (bytes: Buffer | undefined): unknown => (bytes === undefined ? undefined : codec.decode(bytes));

  const overlay = (topic: string, partition: number): PartitionOverlay<unknown, Buffer> => {
    const k = `${topic}${SEP}${partition}`;
    let o = overlays.get(k);
    if (o === undefined) {
      const prefix = statePrefix(topic, partition);
      o = new PartitionOverlay<unknown, Buffer>(
        topic,
        partition,
        {
          get: async (key) => {
            const hit = cache.get(prefix + key);
            return hit === undefined ? decode(await db.get(prefix + key)) : codec.decode(hit);
          },
          async *range(b) {
            const lower = b.gt !== undefined ? { gt: prefix + b.gt } : { gte: prefix + (b.gte ?? '') };
            const upper = b.lt !== undefined ? { lt: prefix + b.lt } : b.lte !== undefined ? { lte: prefix + b.lte } : { lt: `${prefix}\uffff` };
            for await (const [k, v] of db.iterator({ ...lower, ...upper })) yield [k.slice(prefix.length), codec.decode(v)] as [string, unknown];
          },
        },
        freeze,
        (stored) => codec.decode(stored),
      );
      overlays.set(k, o);
    }
    return o;
  };

  log.debug({ dir }, 'state store opened');
  return {
    dir,
    begin(topic, partition): StateBatch {
      return overlay(topic, partition).begin();
    },
    async commit(topic, partition, changes, nextOffset) {
      const o = overlay(topic, partition);
      const cs = changes as ChangeSet<Buffer> | undefined;
      const ops: Array<{ type: 'put'; key: string; value: Buffer } | { type: 'del'; key: string }> = [];
      if (cs !== undefined) {
        if (o.pending[0] !== cs) o.shift(cs); // throws the ordering error
        for (const [k, w] of cs.writes) {
          if (w === null) ops.push({ type: 'del', key: stateKey(topic, partition, k) });
          else ops.push({ type: 'put', key: stateKey(topic, partition, k), value: w.value });
        }
      }
      const stateOps = ops.length;
      ops.push({ type: 'put', key: offsetKey(topic, partition), value: Buffer.from(String(nextOffset)) });
      // State and offset in ONE atomic write: after a crash both are there or neither.
      await db.batch(ops, writeOptions);
      // Committed now: the cache takes the writes in the same turn as the change set leaves the overlay.
      for (let i = 0; i < stateOps; i++) {
        const op = ops[i];
        if (op.type === 'put') cache.set(op.key, op.value);
        else cache.delete(op.key);
      }
      if (cs !== undefined) o.shift(cs);
    },
    async storedOffset(topic, partition) {
      const v = await db.get(offsetKey(topic, partition));
      return v === undefined ? undefined : Number(v.toString());
    },
    discardPending(topic, partition) {
      overlay(topic, partition).pending.length = 0;
    },
    async close() {
      if (db.status === 'open' || db.status === 'opening') await db.close();
    },
    async partitions() {
      const out: StoredPartition[] = [];
      for await (const [k, v] of db.iterator({ gte: `o${SEP}`, lt: `o${SEP}\uffff` })) {
        const [, topic, partition] = k.split(SEP);
        let keys = 0;
        const prefix = statePrefix(topic, Number(partition));
        for await (const _ of db.keys({ gte: prefix, lt: `${prefix}\uffff` })) keys++;
        out.push({ topic, partition: Number(partition), offset: Number(v.toString()), keys });
      }
      return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    },
    async *entries(topic, partition) {
      const prefix = statePrefix(topic, partition);
      for await (const [k, v] of db.iterator({ gte: prefix, lt: `${prefix}\uffff` })) yield [k.slice(prefix.length), codec.decode(v)] as [string, unknown];
    },
    async dropPartition(topic, partition) {
      const prefix = statePrefix(topic, partition);
      await db.clear({ gte: prefix, lt: `${prefix}\uffff` });
      cache.deletePrefix(prefix);
      await db.del(offsetKey(topic, partition));
      overlays.delete(`${topic}${SEP}${partition}`);
    },
    async sizeBytes() {
      return db.approximateSize('\u0000', '\uffff');
    },
  };
}
