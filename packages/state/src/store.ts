import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { checkWritable, withRecovery, writeError } from './writable.js';
import { readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ClassicLevel } from 'classic-level';
import {
  isTableKey,
  PartitionOverlay,
  resolveCodec,
  SedaError,
  silentLogger,
  tpKey,
  type ChangeSet,
  type Codec,
  type CodecSpec,
  type Logger,
  type StateBatch,
  type StateProvider,
} from '@seda/core';
import { markerRecord, type ChangelogIO, type ChangelogRecord } from './changelog.js';
import { CHANGELOG_KEY, OFFSET_KEY, OWN_KEY, openError, openPartitionDb, readNumber, readOffset, STATE_PREFIX, stateEntries, type DbOp, writeBatch } from './partition-db.js';
import { RecentValues } from './recent-values.js';
import { syncWithChangelog, type RestoreProgress } from './restore.js';
import { checkOwner, describePartition, partitionDir, partitionDirs, readOffsetOf, type StateOwner, type StoredPartition } from './layout.js';

const EMPTY = Buffer.alloc(0);

/** Options of {@link openStateStore}. */
export interface StateStoreOptions {
  /** The store's root directory; created if missing. */
  dir: string;
  /** Codec of values; `json` by default. */
  codec?: CodecSpec;
  log?: Logger;
  /** fsync every commit (survives a machine crash, not only a process crash). Default false. */
  sync?: boolean;
  /**
   * The stage and group this directory belongs to. Recorded on first use; a
   * process of another stage or group is refused (`SEDA_STATE_OWNER`).
   */
  owner?: StateOwner;
  /**
   * How long opening a partition waits for another live process to release
   * it (its previous owner finishing a revoke). Default 30 s.
   */
  lockTimeoutMs?: number;
  /**
   * The changelog topic's I/O: every commit is appended there before it is
   * written locally, and a partition whose local copy is missing or behind is
   * restored from it when first used. Without it, the local store is the only copy.
   */
  changelog?: ChangelogIO;
  /** Progress of restores from the changelog (for metrics). */
  onRestoreProgress?: (progress: RestoreProgress) => void;
  /**
   * With a changelog: how long the local copy of a released partition is kept
   * (a warm cache, reused if the partition comes back). Default 10 minutes.
   */
  warmRetentionMs?: number;
  /**
   * Committed values kept in memory (encoded; about this many recently
   * written or read ones): reading a key this store wrote recently skips
   * LevelDB (a miss is read with LevelDB's synchronous get, ~2 us for a key
   * it holds and 0.5 us for one it does not, on this thread). Default
   * 100000; 0: none.
   */
  cacheEntries?: number;
}


/** The LevelDB state store of a stage: one LevelDB per input partition under one root. */
export interface LevelStateStore extends StateProvider {
  readonly dir: string;
  /** Partitions with stored state or offsets, open here or not. */
  partitions(): Promise<StoredPartition[]>;
  /** Stored next offsets per partition, without counting keys (unlike {@link partitions}); partitions a live process holds are read from a copy. */
  storedOffsets(): Promise<Array<{ topic: string; partition: number; offset: number }>>;
  /** Committed entries of a partition in key order (optionally those whose key starts with `prefix`, at most `limit`). */
  entries(topic: string, partition: number, options?: { prefix?: string; limit?: number }): AsyncIterable<[string, unknown]>;
  /**
   * The committed value of a key, decoded: what the last finished batch wrote.
   * Batches are written atomically, so a read never sees one half-written,
   * and it never waits for the batch in progress.
   */
  readCommitted(topic: string, partition: number, key: string): Promise<unknown>;
  /** Deletes a partition's state and offset (e.g. it moved for good). */
  dropPartition(topic: string, partition: number): Promise<void>;
  /** Size of the store's files on disk, bytes. */
  sizeBytes(): Promise<number>;
  /** The local changelog position of a partition (the marker its state reflects), if any. */
  changelogPosition(topic: string, partition: number): Promise<number | undefined>;
  /**
   * Standby work: brings the local copy of a partition this process does not
   * own up to date with the changelog, without keeping it open, so taking the
   * partition over later needs only the newest records. False when there is
   * nothing to do here: no changelog, the partition is processed here, or
   * another local process holds it.
   */
  warm(topic: string, partition: number): Promise<boolean>;
}

interface OpenPartition {
  readonly dir: string;
  /** Opened, and in line with the changelog when there is one. */
  readonly db: Promise<ClassicLevel<string, Buffer>>;
  /** The database once `db` resolved (open and in line with the changelog): read synchronously from then on. */
  ready: ClassicLevel<string, Buffer> | undefined;
  /** This process's changelog epoch for the partition (`<seq>.<uuid>`, set by the changelog sync before the db resolves). */
  epoch: string;
  /** Where this owner's changelog epoch started (the `base` of its markers). */
  base: number | undefined;
  readonly overlay: PartitionOverlay<unknown, Buffer>;
  /** The last commit of this partition; the next waits for it, release waits for it. */
  writing: Promise<void>;
}

/**
 * Opens the LevelDB state store of a stage. Each input partition has its own
 * LevelDB under `<dir>/<topic>/<partition>`, opened on first use and released
 * on revoke, so the processes of one group on one machine can share a
 * directory and hand partitions to each other (LevelDB's lock keeps one
 * owner per partition). Each batch's changes are written with the
 * partition's next offset in one atomic LevelDB batch, so state and offsets
 * never disagree.
 */
export async function openStateStore(options: StateStoreOptions): Promise<LevelStateStore> {
  const dir = resolve(options.dir);
  const log = options.log ?? silentLogger;
  const codec: Codec<unknown> = resolveCodec(options.codec, 'json', 'state codec');
  const lockTimeoutMs = options.lockTimeoutMs ?? 30_000;
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw openError(dir, err);
  }
  checkWritable(dir);
  checkOwner(dir, options.owner);
  const writeOptions = { sync: options.sync === true };
  const changelog = options.changelog;
  const warmRetentionMs = options.warmRetentionMs ?? 600_000;
  const parts = new Map<string, OpenPartition>();
  /** Local copies of released partitions, deleted when their warm retention ends. */
  const expiries = new Map<string, NodeJS.Timeout>();
  let closed = false;
  /**
   * Committed values by `<topic>\0<partition>\0<key>`. Only commits fill it, and a
   * partition's entries leave with it (release), so it never holds a value older than LevelDB's.
   */
  const cache = new RecentValues(options.cacheEntries ?? 100_000);
  const cachePrefix = (topic: string, partition: number): string => `${tpKey(topic, partition)}\u0000`;
  // Written values are kept encoded (what the commit writes); every read decodes a fresh copy.
  const freeze = (value: unknown): Buffer => codec.encode(value) ?? EMPTY;
  const thaw = (stored: Buffer): unknown => codec.decode(stored);

  let changelogInput: string | undefined;
  const part = (topic: string, partition: number): OpenPartition => {
    if (closed) throw new SedaError('SEDA_STATE_CLOSED', `the state store ${dir} is closed`);
    if (changelog !== undefined) {
      changelogInput ??= topic;
      if (topic !== changelogInput) {
        throw new SedaError('SEDA_STATE_OPEN', `changelog ${changelog.topic} serves input topic "${changelogInput}", not "${topic}": a stage with a changelog reads one topic`);
      }
    }
    const k = tpKey(topic, partition);
    let p = parts.get(k);
    if (p !== undefined) return p;
    const pdir = partitionDir(dir, topic, partition);
    const epoch = randomUUID();
    clearTimeout(expiries.get(pdir));
    expiries.delete(pdir);
    const db = (async () => {
      mkdirSync(pdir, { recursive: true });
      const opened = await openPartitionDb(pdir, lockTimeoutMs).catch((err: unknown) => {
        throw withRecovery(err, dir, topic, partition, options.owner?.stage);
      });
      log.debug({ topic, partition, dir: pdir }, 'partition state opened');
      if (changelog !== undefined) {
        try {
          const synced = await syncWithChangelog({ db: opened, io: changelog, topic, partition, epoch, log, sync: writeOptions.sync, onProgress: options.onRestoreProgress });
          p!.epoch = synced.epoch;
          p!.base = synced.base;
        } catch (err) {
          await opened.close().catch(() => {});
          throw err;
        }
      }
      p!.ready = opened;
      return opened;
    })();
    // A failed open is forgotten, so the next use tries again; its callers see the error.
    db.catch(() => {
      if (parts.get(k) === p) parts.delete(k);
    });
    const cached = cachePrefix(topic, partition);
    const overlay = new PartitionOverlay<unknown, Buffer>(
      topic,
      partition,
      {
        get: (key) => {
          const hit = cache.get(cached + key);
          if (hit !== undefined) return codec.decode(hit);
          // A miss reads LevelDB on this thread once the partition is open: a get through LevelDB's
          // worker thread costs ~25 us of CPU in round trip and promises, getSync ~0.5 us from its
          // block cache (it blocks the loop only for what a disk read takes).
          const ready = p!.ready;
          if (ready !== undefined && ready.status === 'open') {
            const bytes = ready.getSync(STATE_PREFIX + key);
            return bytes === undefined ? undefined : codec.decode(bytes);
          }
          return db.then(async (opened) => {
            const bytes = await opened.get(STATE_PREFIX + key);
            return bytes === undefined ? undefined : codec.decode(bytes);
          });
        },
        async *range(b) {
          const lower = b.gt !== undefined ? { gt: STATE_PREFIX + b.gt } : { gte: STATE_PREFIX + (b.gte ?? '') };
          const upper = b.lt !== undefined ? { lt: STATE_PREFIX + b.lt } : b.lte !== undefined ? { lte: STATE_PREFIX + b.lte } : { lt: `${STATE_PREFIX}\uffff` };
          for await (const [key, v] of (await db).iterator({ ...lower, ...upper })) yield [key.slice(STATE_PREFIX.length), codec.decode(v)] as [string, unknown];
        },
      },
      freeze,
      thaw,
    );
    p = { dir: pdir, db, ready: undefined, epoch, base: undefined, overlay, writing: Promise.resolve() };
    parts.set(k, p);
    return p;
  };

  const closePartition = async (p: OpenPartition): Promise<void> => {
    await p.writing.catch(() => {});
    const db = await p.db.catch(() => undefined);
    if (db !== undefined && (db.status === 'open' || db.status === 'opening')) await db.close();
  };

  const release = async (topic: string, partition: number): Promise<void> => {
    const k = tpKey(topic, partition);
    const p = parts.get(k);
    if (p === undefined) return;
    parts.delete(k);
    p.overlay.pending.splice(0);
    await closePartition(p);
    // Its next owner may change it: nothing of it stays cached here.
    cache.deletePrefix(cachePrefix(topic, partition));
    log.debug({ topic, partition }, 'partition state released');
    if (changelog !== undefined && !closed) {
      // The changelog holds the state: the local copy is only a warm cache now.
      const timer = setTimeout(() => {
        expiries.delete(p.dir);
        if (!parts.has(k)) void rm(p.dir, { recursive: true, force: true }).catch((err: unknown) => log.warn({ err, dir: p.dir }, 'cannot delete an expired local copy'));
      }, warmRetentionMs);
      timer.unref();
      expiries.set(p.dir, timer);
    }
  };

  log.debug({ dir }, 'state store opened');
  return {
    dir,
    begin(topic, partition): StateBatch {
      return part(topic, partition).overlay.begin();
    },
    commit(topic, partition, changes, nextOffset) {
      const p = part(topic, partition);
      const cached = cachePrefix(topic, partition);
      const o = p.overlay;
      const cs = changes as ChangeSet<Buffer> | undefined;
      if (cs !== undefined && o.pending[0] !== cs) {
        try {
          o.shift(cs); // throws the ordering error
        } catch (err) {
          return Promise.reject(err);
        }
      }
      const ops: DbOp[] = [];
      if (cs !== undefined) {
        for (const [key, w] of cs.writes) {
          if (w === null) ops.push({ type: 'del', key: STATE_PREFIX + key });
          else ops.push({ type: 'put', key: STATE_PREFIX + key, value: w.value });
        }
      }
      ops.push({ type: 'put', key: OFFSET_KEY, value: Buffer.from(String(nextOffset)) });
      const write = p.writing.then(async () => {
        const db = await p.db;
        if (changelog !== undefined) {
          // The shared copy first: local state never gets ahead of the changelog.
          const records: ChangelogRecord[] = [];
          for (const op of ops) {
            // Tables restore from their own (compacted) topic, not from the changelog.
            if (op.key.startsWith(STATE_PREFIX) && !isTableKey(op.key.slice(STATE_PREFIX.length))) {
              records.push({ key: Buffer.from(op.key.slice(STATE_PREFIX.length)), value: op.type === 'put' ? op.value : null, epoch: p.epoch });
            }
          }
          records.push(markerRecord(p.epoch, nextOffset, p.base));
          const at = await changelog.append(partition, records);
          ops.push({ type: 'put', key: CHANGELOG_KEY, value: Buffer.from(String(at)) }, { type: 'put', key: OWN_KEY, value: Buffer.from(String(at)) });
        }
        // State, offset (and changelog position) in ONE atomic write: after a crash all are there or none.
        await writeBatch(db, ops, writeOptions).catch((err: unknown) => {
          throw writeError(p.dir, nextOffset, err);
        });
        // Committed now: the cache takes the writes in the same turn as the change set leaves the overlay.
        for (const op of ops) {
          if (!op.key.startsWith(STATE_PREFIX)) continue;
          const k = cached + op.key.slice(STATE_PREFIX.length);
          if (op.type === 'put') cache.set(k, op.value);
          else cache.delete(k);
        }
        if (cs !== undefined) o.shift(cs);
      });
      p.writing = write.catch(() => {});
      return write;
    },
    async storedOffset(topic, partition) {
      return readOffset(await part(topic, partition).db);
    },
    release,
    async warm(topic, partition) {
      if (changelog === undefined || closed || parts.has(tpKey(topic, partition))) return false;
      const pdir = partitionDir(dir, topic, partition);
      mkdirSync(pdir, { recursive: true });
      let db: ClassicLevel<string, Buffer>;
      try {
        db = await openPartitionDb(pdir, 0);
      } catch (err) {
        if ((err as SedaError).code === 'SEDA_STATE_LOCKED') return false;
        throw err;
      }
      try {
        await syncWithChangelog({ db, io: changelog, topic, partition, epoch: randomUUID(), log, sync: writeOptions.sync, onProgress: options.onRestoreProgress, owner: false });
      } finally {
        await db.close();
      }
      return true;
    },
    async changelogPosition(topic, partition) {
      return readNumber(await part(topic, partition).db, CHANGELOG_KEY);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of expiries.values()) clearTimeout(timer);
      expiries.clear();
      const open = [...parts.values()];
      parts.clear();
      await Promise.all(open.map(closePartition));
    },
    async partitions() {
      const out: StoredPartition[] = [];
      for (const { topic, partition, pdir } of await partitionDirs(dir)) {
        const mine = parts.get(tpKey(topic, partition));
        if (mine !== undefined) {
          const db = await mine.db;
          out.push(await describePartition(topic, partition, db));
          continue;
        }
        let db: ClassicLevel<string, Buffer>;
        try {
          db = await openPartitionDb(pdir, 0);
        } catch (err) {
          if ((err as SedaError).code !== 'SEDA_STATE_LOCKED') throw err;
          out.push({ topic, partition, offset: undefined, keys: 0, inUse: true });
          continue;
        }
        try {
          const found = await describePartition(topic, partition, db);
          if (found.offset !== undefined || found.keys > 0) out.push(found);
        } finally {
          await db.close();
        }
      }
      return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    },
    async storedOffsets() {
      const out: Array<{ topic: string; partition: number; offset: number }> = [];
      for (const { topic, partition, pdir } of await partitionDirs(dir)) {
        const mine = parts.get(tpKey(topic, partition));
        const offset = mine !== undefined ? await readOffset(await mine.db) : await readOffsetOf(pdir);
        if (offset !== undefined) out.push({ topic, partition, offset });
      }
      return out;
    },
    async *entries(topic, partition, options) {
      yield* stateEntries(await part(topic, partition).db, codec, options);
    },
    async readCommitted(topic, partition, key) {
      const bytes = await (await part(topic, partition).db).get(STATE_PREFIX + key);
      return bytes === undefined ? undefined : codec.decode(bytes);
    },
    async dropPartition(topic, partition) {
      await release(topic, partition);
      await rm(partitionDir(dir, topic, partition), { recursive: true, force: true });
    },
    async sizeBytes() {
      let total = 0;
      for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
        if (e.isFile()) total += (await stat(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)).catch(() => ({ size: 0 }))).size;
      }
      return total;
    },
  };
}
