import { SedaError, type Logger } from '@seda/core';
import { listTopics, type KafkaProperties } from '@seda/kafka';
import { checkTopics } from './topics.js';

/** How the first contact with Kafka is retried at start. */
export interface ConnectRetryOptions {
  /** Attempts in all. Default 5. */
  attempts?: number;
  /** Wait before the second attempt; doubles each time, at most 30 s. Default 1000 ms. */
  backoffMs?: number;
  /** How long one attempt waits for the broker. Default 10 s. */
  timeoutMs?: number;
}

const maxBackoffMs = 30_000;

/**
 * Reaches Kafka (a metadata request), retrying a bounded number of times
 * with one log line per failed attempt, then checks that `topics` exist
 * (unless `topics` is undefined). Gives up with one `SEDA_KAFKA_CONNECT`
 * error; a missing topic fails at once (retrying cannot create it).
 * Returns the partition count of every topic on the cluster.
 */
export async function connectWithRetries(
  brokers: string,
  kafka: KafkaProperties | undefined,
  topics: string[] | undefined,
  log: Logger,
  options: ConnectRetryOptions = {},
): Promise<{ [topic: string]: number }> {
  return withConnectRetries(brokers, log, options, async (timeoutMs) =>
    topics === undefined
      ? Object.fromEntries((await listTopics(brokers, kafka, { timeoutMs })).map((t) => [t.name, t.partitions]))
      : checkTopics(brokers, topics, kafka, log, { timeoutMs }),
  );
}

/**
 * Runs `attempt` (a first contact with Kafka, given the timeout of one
 * attempt) with the bounded retries of {@link connectWithRetries}: one log
 * line per failed attempt, then one `SEDA_KAFKA_CONNECT` error. An error
 * that cannot be retried fails at once.
 */
export async function withConnectRetries<T>(brokers: string, log: Logger, options: ConnectRetryOptions, attempt: (timeoutMs: number) => Promise<T>): Promise<T> {
  const attempts = options.attempts ?? 5;
  const timeoutMs = options.timeoutMs ?? 10_000;
  let backoffMs = options.backoffMs ?? 1000;
  for (let n = 1; ; n++) {
    try {
      const result = await attempt(timeoutMs);
      if (n > 1) log.info({ attempt: n, attempts }, `reached Kafka at ${brokers}`);
      return result;
    } catch (err) {
      if (!(err instanceof SedaError) || !err.canRetry) throw err;
      const cause = (err.cause as Error | undefined)?.message ?? err.message;
      if (n >= attempts) {
        throw new SedaError(
          'SEDA_KAFKA_CONNECT',
          `cannot reach Kafka at ${brokers} after ${attempts} attempt${attempts > 1 ? 's' : ''} (${cause}); check --brokers, the network and the security settings (--kafka security.protocol=...)`,
          { cause: err, canRetry: true },
        );
      }
      log.warn({ attempt: n, attempts, nextInMs: backoffMs, err: cause }, `cannot reach Kafka at ${brokers} (attempt ${n}/${attempts}); next attempt in ${backoffMs} ms`);
      await new Promise((r) => setTimeout(r, backoffMs));
      backoffMs = Math.min(maxBackoffMs, Math.max(1, backoffMs * 2));
    }
  }
}
