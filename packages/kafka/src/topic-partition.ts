/** A topic partition. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** A topic partition with an offset (-2: beginning, -1: end). */
export interface TopicPartitionOffset extends TopicPartition {
  offset: number;
}

export { tpKey } from '@seda/core';
