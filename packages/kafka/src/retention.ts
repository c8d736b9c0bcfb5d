import type Kafka from 'node-rdkafka';
import { groupLag, type PartitionLag } from './admin.js';
import type { KafkaProperties } from './config.js';
import { tpKey, type TopicPartition } from './topic-partition.js';

/**
 * A partition whose start offset (the group's commit, or the offset a stage's
 * state stored) was below the log start: the records in between were deleted
 * by retention before this reader got them.
 */
export interface RetentionLoss extends TopicPartition {
  /** Where the reader wanted to start. */
  from: number;
  /** The log start offset (low watermark): where it starts instead. */
  logStart: number;
  /** Records lost: `logStart - from`. */
  lost: number;
}

/**
 * Partitions of `rows` where the group lost records to retention: its
 * committed offset is below the log start. On the embedded broker this happens
 * to a reader more than ~5 MiB behind (the mock's per-partition limit); on a
 * real cluster, to one behind retention.ms/retention.bytes. A partition the
 * group never committed on has lost nothing.
 */
export function retentionLosses(rows: PartitionLag[]): RetentionLoss[] {
  return rows
    .filter((r) => r.committed >= 0 && r.low > r.committed)
    .map((r) => ({ topic: r.topic, partition: r.partition, from: r.committed, logStart: r.low, lost: r.low - r.committed }));
}

/** Asks the cluster which partitions of `topics` a group lost records of to retention (see {@link retentionLosses}). */
export async function detectRetentionLoss(brokers: string, group: string, topics: string[], kafka?: KafkaProperties): Promise<RetentionLoss[]> {
  return retentionLosses(await groupLag(brokers, group, topics, kafka));
}

/**
 * A partition whose group-committed offset lies past its end (high
 * watermark): the broker lost data, or the topic was recreated.
 */
export interface OffsetAhead extends TopicPartition {
  /** The committed offset. */
  from: number;
  low: number;
  high: number;
  /** Where it starts instead, per `auto.offset.reset`. */
  reset: number;
}

/** What {@link startAboveLogStart} found and changed. */
export interface StartCheck {
  losses: RetentionLoss[];
  ahead: OffsetAhead[];
}

/**
 * For partitions being assigned: the start offset of each (from `starts`, or
 * the group's committed offset) is compared with the log start; where it is
 * below, `starts` is set to the log start, so the reader goes on from the
 * oldest record still there rather than wherever `auto.offset.reset` would
 * jump (the end, by default). A group-committed offset past the partition's
 * end is set where `auto.offset.reset` says (`earliest`: the log start;
 * otherwise the end), as librdkafka would, but reported. Explicit starts past
 * the end are left to the caller (a stage's stored offsets: see the runtime).
 */
export async function startAboveLogStart(
  consumer: Kafka.KafkaConsumer,
  partitions: TopicPartition[],
  starts: Map<string, number>,
  timeoutMs: number,
  resetEarliest = false,
): Promise<StartCheck> {
  const from = new Map<string, number>();
  const needCommitted: TopicPartition[] = [];
  for (const p of partitions) {
    const offset = starts.get(tpKey(p.topic, p.partition));
    if (offset === undefined) needCommitted.push(p);
    else if (offset >= 0) from.set(tpKey(p.topic, p.partition), offset);
  }
  const committedKeys = new Set<string>();
  if (needCommitted.length > 0) {
    const committed = await new Promise<Kafka.TopicPartitionOffset[]>((resolve, reject) =>
      consumer.committed(needCommitted, timeoutMs, (err, tps) => (err ? reject(err) : resolve(tps))),
    );
    for (const tp of committed) {
      if (tp.offset === undefined || tp.offset < 0) continue;
      from.set(tpKey(tp.topic, tp.partition), tp.offset);
      committedKeys.add(tpKey(tp.topic, tp.partition));
    }
  }
  const losses: RetentionLoss[] = [];
  const ahead: OffsetAhead[] = [];
  await Promise.all(
    partitions.map(async (p) => {
      const k = tpKey(p.topic, p.partition);
      const start = from.get(k);
      if (start === undefined) return;
      const { lowOffset: low, highOffset: high } = await new Promise<Kafka.WatermarkOffsets>((resolve, reject) =>
        consumer.queryWatermarkOffsets(p.topic, p.partition, timeoutMs, (err, o) => (err ? reject(err) : resolve(o))),
      );
      if (start < low) {
        starts.set(k, low);
        losses.push({ topic: p.topic, partition: p.partition, from: start, logStart: low, lost: low - start });
      } else if (start > high && committedKeys.has(k)) {
        const reset = resetEarliest ? low : high;
        starts.set(k, reset);
        ahead.push({ topic: p.topic, partition: p.partition, from: start, low, high, reset });
      }
    }),
  );
  const order = (a: TopicPartition, b: TopicPartition): number => a.topic.localeCompare(b.topic) || a.partition - b.partition;
  return { losses: losses.sort(order), ahead: ahead.sort(order) };
}
