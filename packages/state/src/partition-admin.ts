/** Operator repairs of one partition of a state directory: reset it, or set where it starts. */
import { rm } from 'node:fs/promises';
import { SedaError } from '@seda/core';
import { partitionDir, partitionDirs } from './layout.js';
import { OFFSET_KEY, openPartitionDb } from './partition-db.js';

/** The input topic of a partition in `root`: `topic` when given, else the only one stored there. */
export async function partitionTopic(root: string, partition: number, topic?: string): Promise<string> {
  if (topic !== undefined) return topic;
  const topics = [...new Set((await partitionDirs(root)).filter((p) => p.partition === partition).map((p) => p.topic))];
  if (topics.length === 1) return topics[0];
  if (topics.length === 0) throw new SedaError('SEDA_STATE_OPEN', `${root} has no stored partition ${partition}`);
  throw new SedaError('SEDA_STATE_OPEN', `${root} holds partition ${partition} of several topics (${topics.join(', ')}); name one with --topic`);
}

/**
 * Deletes one partition's local state and offset (also when its LevelDB is
 * corrupt), so its next owner starts it from the changelog or the group's
 * start position. Refused while a live process holds it.
 */
export async function resetPartition(root: string, topic: string, partition: number): Promise<string> {
  const pdir = partitionDir(root, topic, partition);
  try {
    const db = await openPartitionDb(pdir, 0);
    await db.close();
  } catch (err) {
    if ((err as SedaError).code === 'SEDA_STATE_LOCKED') throw err;
    // Corrupt or unreadable: what --reset is for.
  }
  await rm(pdir, { recursive: true, force: true });
  return pdir;
}

/**
 * Sets the offset a partition's state says it resumes at (its state is kept),
 * e.g. to start past data the broker lost. Refused while a live process holds it.
 */
export async function setStoredOffset(root: string, topic: string, partition: number, offset: number): Promise<string> {
  if (!Number.isInteger(offset) || offset < 0) throw new SedaError('SEDA_STATE_OPEN', `--offset must be a whole number, 0 or more (got ${offset})`);
  const pdir = partitionDir(root, topic, partition);
  const db = await openPartitionDb(pdir, 0);
  try {
    await db.put(OFFSET_KEY, Buffer.from(String(offset)));
  } finally {
    await db.close();
  }
  return pdir;
}
