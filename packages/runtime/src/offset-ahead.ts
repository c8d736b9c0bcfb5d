import type Kafka from 'node-rdkafka';
import { SedaError, type Logger } from '@seda/core';
import type { TopicPartitionOffset } from '@seda/kafka';

/** Who the stored offsets belong to, for the recovery commands. */
export interface StoredOffsetsOwner {
  stage: string;
  /** The state directory, when known (the LevelDB store's `dir`). */
  stateDir?: string;
}

/**
 * State mode, on assignment: fails with `SEDA_RUNTIME_OFFSET_AHEAD` when an
 * offset stored with the state lies past the partition's end (high
 * watermark). The broker lost data (the embedded broker restarted, the topic
 * was recreated): starting anywhere on its own would reprocess from 0 (state
 * counted twice) or skip what comes next, so the stage stops and names the
 * operator's two ways out. When the watermarks cannot be read (broker
 * trouble), the partitions start as stored.
 */
export async function checkStoredOffsets(consumer: Kafka.KafkaConsumer, starts: TopicPartitionOffset[], owner: StoredOffsetsOwner, log: Logger, timeoutMs = 5000): Promise<void> {
  for (const s of starts) {
    if (s.offset < 0) continue;
    let w: Kafka.WatermarkOffsets;
    try {
      w = await new Promise<Kafka.WatermarkOffsets>((resolve, reject) => consumer.queryWatermarkOffsets(s.topic, s.partition, timeoutMs, (err, o) => (err ? reject(err) : resolve(o))));
    } catch (err) {
      log.debug({ err, topic: s.topic, partition: s.partition }, 'stored offset check skipped (watermarks unavailable)');
      continue;
    }
    if (s.offset <= w.highOffset) continue;
    const cmd = `seda state ${owner.stage}${owner.stateDir ? ` --state-dir ${owner.stateDir}` : ''} --topic ${s.topic} --partition ${s.partition}`;
    throw new SedaError(
      'SEDA_RUNTIME_OFFSET_AHEAD',
      `${s.topic}/${s.partition}: the state stored offset ${s.offset}, but the partition holds only offsets ${w.lowOffset}..${w.highOffset - 1} (next ${w.highOffset}): the broker lost data (restarted embedded broker, recreated topic). ` +
        `seda neither reprocesses from 0 nor skips ahead on its own. To start the partition over from empty state: \`${cmd} --reset --yes\`; to keep its state and read from offset X (e.g. ${w.lowOffset}, what the partition holds now): \`${cmd} --offset X --yes\``,
    );
  }
}
