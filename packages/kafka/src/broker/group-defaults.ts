import type { KafkaProperties } from '../config.js';

/**
 * Consumer group timeouts seda uses on its own embedded broker, unless
 * `--kafka` sets them. librdkafka's mock holds a rebalance for
 * `session.timeout.ms - 1 s` whenever a member joins a group that already has
 * members (rdkafka_mock_cgrp.c), and a killed member keeps its partitions
 * until its session times out: with librdkafka's 45 s default, a second
 * worker or a restart after SIGKILL waits 44 s. With 3 s, about 2 s.
 * Heartbeats stay well inside the session (librdkafka heartbeats from its own
 * thread, so a busy event loop does not delay them). A Kafka cluster keeps
 * librdkafka's defaults (and its brokers' group.min.session.timeout.ms).
 */
export const embeddedGroupDefaults = Object.freeze({
  'session.timeout.ms': 3000,
  'heartbeat.interval.ms': 500,
});

/**
 * The {@link embeddedGroupDefaults} that `kafka` does not set itself (the
 * user's values always win). A heartbeat interval is only added when it is
 * below a third of the session timeout in effect.
 */
export function embeddedGroupProperties(kafka: KafkaProperties = {}): KafkaProperties {
  const out: KafkaProperties = {};
  const session = kafka['session.timeout.ms'] ?? embeddedGroupDefaults['session.timeout.ms'];
  if (kafka['session.timeout.ms'] === undefined) out['session.timeout.ms'] = embeddedGroupDefaults['session.timeout.ms'];
  const heartbeat = embeddedGroupDefaults['heartbeat.interval.ms'];
  if (kafka['heartbeat.interval.ms'] === undefined && heartbeat * 3 <= Number(session)) out['heartbeat.interval.ms'] = heartbeat;
  return out;
}
