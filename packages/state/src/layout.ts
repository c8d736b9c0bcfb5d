/** The on-disk layout of a state directory: its owner file and one LevelDB per input partition. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { ClassicLevel } from 'classic-level';
import { SedaError } from '@seda/core';
import { CHANGELOG_KEY, countKeys, openPartitionDb, readNumber, readOffset } from './partition-db.js';

/** Who a state directory belongs to: one stage in one consumer group. */
export interface StateOwner {
  stage: string;
  group: string;
}

/** A partition's stored offset and key count. */
export interface StoredPartition {
  topic: string;
  partition: number;
  offset: number | undefined;
  keys: number;
  /** True when another live process holds the partition (offset and keys unknown). */
  inUse?: boolean;
  /** The changelog offset of the last batch the local state reflects, when written with a changelog. */
  changelogPosition?: number;
}

/** The file naming a state directory's owner. */
export const ownerFile = 'seda-state.json';


export const partitionDir = (root: string, topic: string, partition: number): string => join(root, encodeURIComponent(topic), String(partition));

export function checkOwner(dir: string, owner: StateOwner | undefined): void {
  if (existsSync(join(dir, 'CURRENT'))) {
    throw new SedaError(
      'SEDA_STATE_OPEN',
      `state directory ${dir} holds a single LevelDB from an older seda layout; move it away (the stage rebuilds its state from the input) or pass another --state-dir`,
    );
  }
  const file = join(dir, ownerFile);
  if (existsSync(file)) {
    let recorded: Partial<StateOwner>;
    try {
      recorded = JSON.parse(readFileSync(file, 'utf8')) as Partial<StateOwner>;
    } catch (err) {
      throw new SedaError('SEDA_STATE_CORRUPT', `state directory ${dir}: ${ownerFile} is not readable JSON (${(err as Error).message}); fix or delete that file`, { cause: err });
    }
    if (owner !== undefined && (recorded.stage !== owner.stage || recorded.group !== owner.group)) {
      throw new SedaError(
        'SEDA_STATE_OWNER',
        `state directory ${dir} belongs to stage "${recorded.stage}" in group "${recorded.group}", not stage "${owner.stage}" in group "${owner.group}"; give this stage its own --state-dir`,
      );
    }
  } else if (owner !== undefined) {
    writeFileSync(file, `${JSON.stringify({ format: 1, stage: owner.stage, group: owner.group })}\n`);
  }
}

/** Offset, key count and changelog position of an open partition database. */
export async function describePartition(topic: string, partition: number, db: ClassicLevel<string, Buffer>): Promise<StoredPartition> {
  const found: StoredPartition = { topic, partition, offset: await readOffset(db), keys: await countKeys(db) };
  const position = await readNumber(db, CHANGELOG_KEY);
  if (position !== undefined) found.changelogPosition = position;
  return found;
}

/** The partition directories under a store's root. */
export async function partitionDirs(root: string): Promise<Array<{ topic: string; partition: number; pdir: string }>> {
  const out: Array<{ topic: string; partition: number; pdir: string }> = [];
  for (const t of await readdir(root, { withFileTypes: true })) {
    if (!t.isDirectory()) continue;
    for (const q of await readdir(join(root, t.name), { withFileTypes: true })) {
      if (q.isDirectory() && /^\d+$/.test(q.name)) out.push({ topic: decodeURIComponent(t.name), partition: Number(q.name), pdir: join(root, t.name, q.name) });
    }
  }
  return out;
}

/**
 * The stored offset of a partition directory that this process does not hold.
 * One a live stage holds (LevelDB allows one process) is read from a copy of
 * its files (LevelDB recovers a copy like a crashed store: the offset is that
 * of its last complete write).
 */
export async function readOffsetOf(pdir: string): Promise<number | undefined> {
  let copy: string | undefined;
  let db: ClassicLevel<string, Buffer>;
  try {
    db = await openPartitionDb(pdir, 0);
  } catch (err) {
    if ((err as SedaError).code !== 'SEDA_STATE_LOCKED') throw err;
    for (let attempt = 1; ; attempt++) {
      copy = await mkdtemp(join(tmpdir(), 'seda-offsets-'));
      try {
        await cp(pdir, copy, { recursive: true, filter: (src) => basename(src) !== 'LOCK' });
        break;
      } catch (e) {
        await rm(copy, { recursive: true, force: true });
        // A compaction removed a file while it was copied: copy again.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 5) throw new SedaError('SEDA_STATE_OPEN', `cannot copy the live store ${pdir}: ${(e as Error).message}`, { cause: e });
      }
    }
    db = await openPartitionDb(copy, 0);
  }
  try {
    return await readOffset(db);
  } finally {
    await db.close();
    if (copy !== undefined) await rm(copy, { recursive: true, force: true });
  }
}

