import type { RawRecord } from './record.js';

/** A map key for a topic partition: one string per (topic, partition), never ambiguous (topic names hold no NUL). */
export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * Null-key outputs (and dead letters) of one input partition go to one output
 * partition per block of this many input offsets, chosen from the input
 * position alone: a replay sends them where they went the first time (a
 * random partitioner would not), and consecutive outputs still batch well.
 */
export const NULL_KEY_OFFSET_BLOCK = 512;

/** The partition of a null-key message, from its input position; undefined when the partition count is unknown. */
export function nullKeyPartition(raw: RawRecord, partitions: number): number | undefined {
  return partitions > 0 ? (raw.partition + Math.floor(raw.offset / NULL_KEY_OFFSET_BLOCK)) % partitions : undefined;
}
