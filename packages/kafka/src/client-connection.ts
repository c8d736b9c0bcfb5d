import type Kafka from 'node-rdkafka';
import { SedaError } from '@seda/core';

/** What {@link connectClient} needs of a node-rdkafka client (a producer or a consumer). */
export interface ConnectableClient {
  connect(options: Kafka.MetadataOptions, cb: (err: Kafka.LibrdKafkaError) => void): unknown;
}

/** What {@link disconnectClient} needs of a node-rdkafka client. */
export interface DisconnectableClient {
  disconnect(cb: () => void): unknown;
  /** A producer's poll timer (consumers have none). */
  setPollInterval?: (ms: number) => unknown;
}

/** A producer as {@link disconnectClient} flushes it. */
export interface FlushingClient {
  disconnect(flushMs: number, cb: () => void): unknown;
  setPollInterval(ms: number): unknown;
}

/**
 * Connects a node-rdkafka client, bounded by librdkafka's connect timeout
 * (`timeoutMs`, its first metadata request): resolves once connected, or
 * rejects with `toError(err)` of librdkafka's error (by default that error
 * itself), so a caller names its own error (e.g. `SEDA_KAFKA_CONNECT` with
 * what to check).
 */
export function connectClient(client: ConnectableClient, timeoutMs: number, toError: (err: Kafka.LibrdKafkaError) => Error = asError): Promise<void> {
  return new Promise<void>((resolve, reject) => client.connect({ timeout: timeoutMs }, (err) => (err ? reject(toError(err)) : resolve())));
}

/** librdkafka's error as it is thrown: node-rdkafka's LibrdKafkaError is an Error at run time. */
const asError = (err: Kafka.LibrdKafkaError): Error => (err instanceof Error ? err : Object.assign(new Error(err.message), err));

/** The {@link connectClient} error of a stage's own clients: `SEDA_KAFKA_CONNECT` naming the brokers and what to check. */
export const cannotReach =
  (brokers: string) =>
  (err: Kafka.LibrdKafkaError): SedaError =>
    new SedaError('SEDA_KAFKA_CONNECT', `cannot reach Kafka at ${brokers} (${err.message}); check --brokers and that the broker is running`, { cause: err, canRetry: true });

/** Options of {@link disconnectClient}. */
export interface DisconnectOptions {
  /** The most to wait for the disconnect; default 5000 ms. A broker gone must not hang a stop. */
  timeoutMs?: number;
  /** For a producer: how long its disconnect flushes first (librdkafka's own default otherwise, 5 s). */
  flushMs?: number;
}

/**
 * Disconnects a node-rdkafka client, waiting at most `timeoutMs`. A
 * producer's poll timer is stopped first: a poll of a client disconnect()
 * has freed crashes the process. Never rejects; resolves true when the
 * client confirmed, false when the wait ran out (the caller may log it).
 */
export function disconnectClient(client: DisconnectableClient | FlushingClient, options: DisconnectOptions = {}): Promise<boolean> {
  const timeoutMs = options.timeoutMs ?? 5000;
  client.setPollInterval?.(0);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    if (options.flushMs !== undefined) (client as FlushingClient).disconnect(options.flushMs, done);
    else (client as DisconnectableClient).disconnect(done);
  });
}
