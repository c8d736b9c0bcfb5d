/** A topic partition. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** A topic partition with an offset (-2: beginning, -1: end). */
export interface TopicPartitionOffset extends TopicPartition {
  offset: number;
}

/** A map key for a topic partition. */
export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
