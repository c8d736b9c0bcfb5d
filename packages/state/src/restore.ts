import type { ClassicLevel } from 'classic-level';
import { SedaError, type Logger } from '@seda/core';
import { ChangelogReplayer, markerRecord, type ChangelogIO, type ChangelogRecord } from './changelog.js';
import { CHANGELOG_KEY, EPOCH_KEY, OFFSET_KEY, OWN_KEY, readNumber, STATE_END, STATE_PREFIX, type DbOp, writeBatch } from './partition-db.js';

/** Progress of a partition's restore from its changelog. */
export interface RestoreProgress {
  topic: string;
  partition: number;
  /** Changelog records read so far. */
  read: number;
  /** Changelog records to read in all. */
  total: number;
  done: boolean;
}

/** What {@link syncWithChangelog} did. */
export interface RestoreResult {
  /** `current`: nothing to do; `restored`: records replayed; `seeded`: local state written to an empty or lagging changelog. */
  action: 'current' | 'restored' | 'seeded';
  /** Changelog records read. */
  records: number;
  /** Records dropped as never confirmed (an append cut short by a crash). */
  dropped: number;
  /** Records dropped as a fenced previous owner's (written after its successor took over). */
  fenced?: number;
  /** The epoch to append with from now on: `<seq>.<uuid>`, its sequence above every one seen. */
  epoch: string;
  /** The changelog position the state reflects now: the `base` of this owner's markers. */
  base: number;
  ms: number;
}

/** Options of {@link syncWithChangelog}. */
export interface SyncOptions {
  db: ClassicLevel<string, Buffer>;
  io: ChangelogIO;
  topic: string;
  partition: number;
  /** A unique id of the caller's run (a UUID): its epoch is `<seq>.<id>`, see {@link RestoreResult.epoch}. */
  epoch: string;
  log: Logger;
  sync: boolean;
  onProgress?: (progress: RestoreProgress) => void;
  /** False for a standby's warm-up: it reads, but will not append, so it claims no epoch sequence. Default true. */
  owner?: boolean;
}

/** Thrown inside a replay when the local copy turns out to have diverged (see syncWithChangelog). */
class DivergedCopy extends Error {}

/** Writes of a LevelDB batch during a restore, flushed in chunks of whole confirmed groups. */
const FLUSH_OPS = 20_000;
const SEED_CHUNK = 5_000;

/**
 * Brings a partition's local store in line with its changelog before the
 * partition is processed: replays what the changelog has beyond the local
 * store's changelog position (everything, when the local store lacks the
 * partition), or seeds an empty changelog with the local state. Each LevelDB
 * write during a replay holds whole confirmed groups with their input offset
 * and changelog position, so a crash mid-restore leaves a consistent prefix
 * and the next start goes on from there.
 *
 * (Long: one decision table over local position, changelog watermarks and
 * epochs; split, its cases would need the same dozen locals passed around.)
 */
export async function syncWithChangelog(o: SyncOptions): Promise<RestoreResult> {
  const started = Date.now();
  const { db, io, topic, partition, log } = o;
  const position = await readNumber(db, CHANGELOG_KEY);
  const localOffset = await readNumber(db, OFFSET_KEY);
  const localSeq = (await readNumber(db, EPOCH_KEY)) ?? 0;
  let epoch = `${localSeq + 1}.${o.epoch}`;
  // This owner's sequence, stored before its first append: a restart takes one above it.
  const claim = async (seq: number): Promise<void> => {
    epoch = `${seq + 1}.${o.epoch}`;
    if (o.owner !== false) await db.put(EPOCH_KEY, Buffer.from(String(seq + 1)), { sync: o.sync });
  };
  // Where this copy last wrote as an owner: a successor that started before it means that write was a zombie's.
  const ownPosition = await readNumber(db, OWN_KEY);
  const { low, high } = await io.watermarks(partition);
  const where = `${io.topic}/${partition}`;
  const elapsed = (): number => Date.now() - started;

  if (high <= low || (position !== undefined && position >= high)) {
    // An empty changelog (new, or the stage ran without one), or one that lost records
    // the local store reflects (the topic was recreated): local state is the newest copy.
    await claim(localSeq);
    if (localOffset === undefined) return { action: 'current', records: 0, dropped: 0, epoch, base: (await readNumber(db, CHANGELOG_KEY)) ?? -1, ms: elapsed() };
    if (position !== undefined) log.warn({ changelog: where, position, high }, 'the changelog ends before the local state; seeding it again from the local state');
    const records = await seed(o, localOffset, epoch);
    return { action: 'seeded', records, dropped: 0, epoch, base: (await readNumber(db, CHANGELOG_KEY)) ?? -1, ms: elapsed() };
  }

  let from: number;
  if (position === undefined) {
    if (localOffset !== undefined) {
      log.warn({ changelog: where }, 'local state of this partition has no changelog position; replacing it with the changelog, the shared copy');
      await db.clear();
    }
    from = low;
  } else {
    from = position + 1;
  }
  if (from < low || (position === undefined && low > 0)) {
    throw new SedaError(
      'SEDA_STATE_CHANGELOG_TRUNCATED',
      `changelog ${where} starts at offset ${low}, after ${from}: records were deleted by retention, so the state of ${topic}/${partition} cannot be restored exactly. ` +
        'A changelog topic must be cleanup.policy=compact with no time or size retention (the embedded broker keeps only about 5 MiB per partition); ' +
        'to rebuild from the input instead, delete the changelog topic and the state directory and reprocess from the beginning',
    );
  }
  if (from >= high) {
    await claim(localSeq);
    return { action: 'current', records: 0, dropped: 0, epoch, base: (await readNumber(db, CHANGELOG_KEY)) ?? -1, ms: elapsed() };
  }

  const total = high - from;
  log.info({ changelog: where, from, to: high, records: total }, 'restoring partition state from the changelog');
  let read = 0;
  let ops: DbOp[] = [];
  let lastReport = Date.now();
  const flush = async (nextOffset: number, at: number): Promise<void> => {
    ops.push({ type: 'put', key: OFFSET_KEY, value: Buffer.from(String(nextOffset)) });
    ops.push({ type: 'put', key: CHANGELOG_KEY, value: Buffer.from(String(at)) });
    ops.push({ type: 'put', key: EPOCH_KEY, value: Buffer.from(String(replayer.maxSeq)) });
    await writeBatch(db, ops, { sync: o.sync });
    ops = [];
  };
  let pendingGroup: { nextOffset: number; position: number } | undefined;
  const replayer: ChangelogReplayer = new ChangelogReplayer(async (changes) => {
    if (ownPosition !== undefined && changes.seq > localSeq && changes.base !== undefined && changes.base < ownPosition) {
      // A successor started before this copy's own last write: the copy holds writes of this
      // process made after it lost the partition (a zombie's, fenced in the changelog). Rebuild it.
      throw new DivergedCopy();
    }
    for (const [key, value] of changes.writes) {
      ops.push(value === null ? { type: 'del', key: STATE_PREFIX + key } : { type: 'put', key: STATE_PREFIX + key, value });
    }
    pendingGroup = { nextOffset: changes.nextOffset, position: changes.position };
    if (ops.length >= FLUSH_OPS) {
      await flush(changes.nextOffset, changes.position);
      pendingGroup = undefined;
    }
  }, localSeq);
  try {
    await io.read(partition, from, high, async (records) => {
      await replayer.push(records);
      read += records.length;
      if (Date.now() - lastReport > 2000) {
        lastReport = Date.now();
        log.info({ changelog: where, read, total }, 'restoring partition state');
      }
      o.onProgress?.({ topic, partition, read, total, done: false });
    });
  } catch (err) {
    if (!(err instanceof DivergedCopy)) throw err;
    log.warn({ changelog: where, position }, 'the local copy holds writes made after this process lost the partition (a zombie); rebuilding it from the changelog');
    await db.clear();
    return syncWithChangelog(o);
  }
  replayer.finish();
  if (pendingGroup !== undefined) await flush(pendingGroup.nextOffset, pendingGroup.position);
  // Above every sequence seen, confirmed or not, fenced or not.
  await claim(replayer.maxSeq);
  if (replayer.fenced > 0) log.warn({ changelog: where, fenced: replayer.fenced }, 'changelog records of a previous owner written after its successor took over (a zombie) were ignored');
  o.onProgress?.({ topic, partition, read, total, done: true });
  const ms = elapsed();
  log.info({ changelog: where, records: read, dropped: replayer.dropped, fenced: replayer.fenced, ms, offset: await readNumber(db, OFFSET_KEY) }, 'partition state restored');
  return { action: 'restored', records: read, dropped: replayer.dropped, fenced: replayer.fenced, epoch, base: (await readNumber(db, CHANGELOG_KEY)) ?? -1, ms };
}

/** Writes the whole local state of a partition and a marker to its changelog. */
async function seed(o: SyncOptions, nextOffset: number, epoch: string): Promise<number> {
  let chunk: ChangelogRecord[] = [];
  let count = 0;
  for await (const [key, value] of o.db.iterator({ gte: STATE_PREFIX, lt: STATE_END })) {
    chunk.push({ key: Buffer.from(key.slice(STATE_PREFIX.length)), value, epoch });
    if (chunk.length >= SEED_CHUNK) {
      count += chunk.length;
      await o.io.append(o.partition, chunk);
      chunk = [];
    }
  }
  chunk.push(markerRecord(epoch, nextOffset));
  count += chunk.length;
  const at = await o.io.append(o.partition, chunk);
  await o.db.batch([{ type: 'put', key: CHANGELOG_KEY, value: Buffer.from(String(at)) }, { type: 'put', key: OWN_KEY, value: Buffer.from(String(at)) }], { sync: o.sync });
  o.log.info({ changelog: `${o.io.topic}/${o.partition}`, records: count }, 'changelog seeded from the local state');
  return count;
}
