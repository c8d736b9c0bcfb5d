import { groupLag, type PartitionLag } from '../admin.js';
import type { KafkaProperties } from '../config.js';

/**
 * Partitions where a group has lost records to retention: the log start
 * (low watermark) is above the group's committed offset. On the embedded
 * broker this happens to a reader more than ~5 MiB behind (the mock's
 * per-partition limit); on a real cluster, to one behind retention.ms/bytes.
 */
export async function detectRetentionLoss(brokers: string, group: string, topics: string[], kafka?: KafkaProperties): Promise<PartitionLag[]> {
  const lag = await groupLag(brokers, group, topics, kafka);
  return lag.filter((p) => p.low > Math.max(0, p.committed));
}
