/**
 * librdkafka settings of seda's consumer (KafkaSource) unless `--kafka`
 * overrides them; exported so a baseline can run with exactly the same.
 */
export const consumerDefaults = Object.freeze({
  'queued.max.messages.kbytes': 16384,
  /**
   * librdkafka's default (1000 ms) idles a fast reader for up to a second
   * each time its fetch queue fills: with it, consume tops out near
   * queued.min.messages per second.
   */
  'fetch.queue.backoff.ms': 20,
  'allow.auto.create.topics': false,
  'socket.keepalive.enable': true,
  /**
   * How long the broker may hold a fetch that finds no data: 10 ms
   * (librdkafka's default is 500). Kafka answers a fetch as soon as data
   * arrives, so on a cluster this only sets how often a caught-up consumer
   * asks again (~100 fetches/s per broker while idle; raise it with
   * `--kafka fetch.wait.max.ms=500` for many idle consumers). The embedded
   * broker holds an empty fetch for the whole wait: with 500 ms, every stage
   * hop that has caught up waits up to half a second.
   */
  'fetch.wait.max.ms': 10,
});

/** librdkafka settings of seda's producer (KafkaSink) unless `--kafka` overrides them; idempotence is on unless `idempotent: false`. */
export const producerDefaults = Object.freeze({
  'linger.ms': 5,
  'socket.keepalive.enable': true,
});
