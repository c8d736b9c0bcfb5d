import type { Logger } from '@seda/core';
import { embeddedGroupProperties, findEmbeddedBroker, type KafkaProperties } from '@seda/kafka';
import { withConnectRetries, type ConnectRetryOptions } from './connect.js';

const logged = new Set<string>();

/**
 * librdkafka properties seda adds for the cluster at `brokers`, to merge
 * under the user's: on seda's own embedded broker (it announces itself on
 * `__seda_broker`), short consumer group timeouts
 * (`embeddedGroupProperties`: rebalances in seconds, not 44 s), said once
 * per process in the log; on a Kafka cluster none, librdkafka's defaults
 * stay. Only keys `kafka` leaves unset are returned, so `--kafka` always
 * wins. Reaches the cluster with the bounded retries of `connectWithRetries`;
 * the answer is kept for the process.
 */
export async function clusterKafkaDefaults(brokers: string, kafka: KafkaProperties | undefined, log: Logger, connect: ConnectRetryOptions = {}): Promise<KafkaProperties> {
  const embedded = await withConnectRetries(brokers, log, connect, (timeoutMs) => findEmbeddedBroker(brokers, kafka, { timeoutMs }));
  if (embedded === undefined) return {};
  const added = embeddedGroupProperties(kafka);
  if (!logged.has(brokers)) {
    logged.add(brokers);
    log.info(
      { broker: { pid: embedded.pid, startedAt: embedded.startedAt }, kafka: added },
      Object.keys(added).length > 0
        ? `seda's embedded broker: short consumer group timeouts (${Object.entries(added).map(([k, v]) => `${k}=${v}`).join(', ')}) so rebalances take seconds; --kafka overrides them`
        : "seda's embedded broker: group timeouts as given with --kafka",
    );
  }
  return added;
}
