import { hostname } from 'node:os';
import Kafka from 'node-rdkafka';
import { SedaError, silentLogger, type DeliveryMode, type Logger } from '@seda/core';
import { connectClient, createTopic, disconnectClient, listTopics, splitKafkaProperties, type KafkaProperties } from '@seda/kafka';
import type { TopicReader } from './topic-reader.js';

/** The compacted topic running stages and sources announce themselves on. */
export const announceTopic = '_seda_stages';

/** Default heartbeat (`SEDA_ANNOUNCE_INTERVAL_MS` overrides it for `seda run`); an announcement older than {@link staleAfterHeartbeats} heartbeats is stale. */
export const defaultHeartbeatMs = 5000;
/** Missed heartbeats after which an instance counts as gone (crashed, frozen or cut off). */
export const staleAfterHeartbeats = 3;

/** What a running stage or source instance says about itself. */
export interface StageDescriptor {
  kind: 'stage' | 'source';
  name: string;
  /** Consumer group (stages). */
  group?: string;
  input?: string;
  /** Output name -> topic. */
  outputs: { [name: string]: string };
  dlq?: string;
  mode?: DeliveryMode;
  /** Unique per process: `<host>:<pid>` (and the worker index under --instances). */
  instance: string;
  host: string;
  pid: number;
  /** Where its /metrics is served, when it serves one. */
  metricsUrl?: string;
  /** Input partitions it owns (stages), sorted; republished when the assignment changes. */
  partitions?: number[];
  /** ISO times. */
  startedAt: string;
  heartbeatAt: string;
  heartbeatMs: number;
}

/** Options of {@link announce}. */
export interface AnnounceOptions {
  brokers: string;
  kafka?: KafkaProperties;
  log?: Logger;
  heartbeatMs?: number;
  /** Default {@link announceTopic}. */
  topic?: string;
}

/** A running announcement: heartbeats until stopped. */
export interface Announcement {
  readonly descriptor: StageDescriptor;
  /** Stops the heartbeat and writes a tombstone (a clean stop); bounded. */
  stop(): Promise<void>;
  /** Stops the heartbeat and closes without a tombstone (the instance failed: it turns stale); bounded. */
  abandon(): Promise<void>;
  /** Sets the owned input partitions; announced at once when they changed (else with the next heartbeat). */
  setPartitions(partitions: number[]): void;
}

/** The compaction key of an instance: group (or source name), stage, instance. */
export const announceKey = (d: Pick<StageDescriptor, 'kind' | 'group' | 'name' | 'instance'>): string => `${d.group ?? `source:${d.name}`}/${d.name}/${d.instance}`;

/** Creates the announcement topic (one partition, compacted) when it is missing. */
export async function ensureAnnounceTopic(brokers: string, kafka?: KafkaProperties, topic = announceTopic): Promise<void> {
  if ((await listTopics(brokers, kafka)).some((t) => t.name === topic)) return;
  try {
    // Bounded short: a pending CreateTopics holds the process's exit (librdkafka waits for it), and a
    // cluster that does not answer it in seconds (a mock cluster that is not seda's) never will.
    await createTopic(brokers, topic, 1, { kafka, config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '0' }, timeoutMs: 5_000 });
  } catch (err) {
    if ((err as SedaError).code !== 'SEDA_KAFKA_TOPIC_EXISTS') throw err; // another instance created it meanwhile
  }
}

/**
 * Publishes `descriptor` to the announcement topic now and on every
 * heartbeat, with one small producer of its own (the stage's clients are not
 * shared: a heartbeat must not wait behind a full output queue). A failed
 * heartbeat is logged and retried on the next one; it never stops the stage.
 */
export async function announce(descriptor: Omit<StageDescriptor, 'host' | 'pid' | 'instance' | 'startedAt' | 'heartbeatAt' | 'heartbeatMs'> & { instance?: string }, options: AnnounceOptions): Promise<Announcement> {
  const log = options.log ?? silentLogger;
  const topic = options.topic ?? announceTopic;
  const heartbeatMs = options.heartbeatMs ?? defaultHeartbeatMs;
  const host = hostname();
  const d: StageDescriptor = {
    ...descriptor,
    instance: descriptor.instance ?? `${host}:${process.pid}`,
    host,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    heartbeatAt: new Date().toISOString(),
    heartbeatMs,
  };
  await ensureAnnounceTopic(options.brokers, options.kafka, topic);
  const { global } = splitKafkaProperties(options.kafka, 'producer');
  delete global['statistics.interval.ms'];
  const producer = new Kafka.Producer({ 'bootstrap.servers': options.brokers, dr_cb: false, 'linger.ms': 0, ...global, 'enable.idempotence': false });
  producer.on('event.error', (err: Kafka.LibrdKafkaError) => log.debug({ err }, 'announcement producer error (librdkafka retries)'));
  await connectClient(
    producer,
    10_000,
    (err) => new SedaError('SEDA_RUNTIME_ANNOUNCE', `cannot announce on ${options.brokers}: ${err.message}; pass --no-announce where the topic ${topic} may not be written`, { cause: err, canRetry: true }),
  );
  producer.setPollInterval(100);
  const key = Buffer.from(announceKey(d));
  const publish = (value: Buffer | null): void => {
    try {
      producer.produce(topic, 0, value, key, Date.now());
    } catch (err) {
      log.warn({ err, topic }, 'announcement not sent; retried with the next heartbeat');
    }
  };
  const beat = (): void => {
    d.heartbeatAt = new Date().toISOString();
    publish(Buffer.from(JSON.stringify(d)));
  };
  beat();
  const timer = setInterval(beat, heartbeatMs);
  timer.unref();
  log.info({ topic, key: key.toString(), heartbeatMs }, 'announced');
  let stopped: Promise<void> | undefined;
  const end = (tombstone: boolean): Promise<void> =>
    (stopped ??= (async () => {
        clearInterval(timer);
        if (tombstone) publish(null);
        await new Promise<void>((resolve) => producer.flush(5000, () => resolve()));
        await disconnectClient(producer);
      })());
  const setPartitions = (partitions: number[]): void => {
    const sorted = [...new Set(partitions)].sort((x, y) => x - y);
    if (stopped !== undefined || (d.partitions !== undefined && sorted.join(',') === d.partitions.join(','))) return;
    d.partitions = sorted;
    beat(); // one extra announcement per assignment change
  };
  return { descriptor: d, stop: () => end(true), abandon: () => end(false), setPartitions };
}

/** An announced instance and whether its heartbeat is stale. */
export interface AnnouncedInstance extends StageDescriptor {
  stale: boolean;
  /** Milliseconds since its last heartbeat. */
  ageMs: number;
}

/**
 * The announcement topic as read so far: the newest descriptor per
 * instance, tombstoned ones (clean stops) left out, stale ones marked. Each
 * refresh reads only what was appended since the last (the topic is
 * compacted on a cluster, but never on the embedded broker).
 */
export class AnnouncementLog {
  readonly #reader: TopicReader;
  readonly #topic: string;
  readonly #latest = new Map<string, StageDescriptor>();
  readonly #next = new Map<number, number>();

  constructor(reader: TopicReader, topic = announceTopic) {
    this.#reader = reader;
    this.#topic = topic;
  }

  /** Reads new announcements; an absent topic means nothing is announced. */
  async refresh(now = Date.now()): Promise<AnnouncedInstance[]> {
    const partitions = (await this.#reader.topics()).get(this.#topic) ?? 0;
    for (let p = 0; p < partitions; p++) {
      const { low, high } = await this.#reader.watermarks(this.#topic, p);
      const from = Math.max(low, this.#next.get(p) ?? low);
      for (const m of await this.#reader.read(this.#topic, p, from, high)) {
        this.#next.set(p, m.offset + 1);
        if (m.key === null) continue;
        const key = m.key.toString();
        if (m.value === null || m.value.length === 0) {
          this.#latest.delete(key);
          continue;
        }
        try {
          this.#latest.set(key, JSON.parse(m.value.toString('utf8')) as StageDescriptor);
        } catch {
          // not a seda announcement: skipped
        }
      }
    }
    const out: AnnouncedInstance[] = [];
    for (const d of this.#latest.values()) {
      const ageMs = now - Date.parse(d.heartbeatAt);
      out.push({ ...d, ageMs, stale: ageMs > staleAfterHeartbeats * (d.heartbeatMs || defaultHeartbeatMs) });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name) || a.instance.localeCompare(b.instance));
  }
}

/** Reads every current announcement once (see {@link AnnouncementLog}). */
export function readAnnouncements(reader: TopicReader, options: { topic?: string; now?: number } = {}): Promise<AnnouncedInstance[]> {
  return new AnnouncementLog(reader, options.topic).refresh(options.now);
}

/** Options of {@link announceInstance}. */
export interface AnnounceInstanceOptions extends AnnounceOptions {
  /** False (`--no-announce`): nothing is published. */
  enabled: boolean;
  /** The ops server, when the instance serves /metrics. */
  metrics?: { host: string; port: number };
  /** Worker index under `--instances`. */
  instanceIndex?: number;
  /**
   * The run's end: resolved, the announcement is tombstoned; rejected (the
   * stage failed), the heartbeat stops and the producer closes without a
   * tombstone, so the page shows the instance stale, as after a crash.
   */
  until?: Promise<unknown>;
}

/**
 * The hook `seda run` calls once a stage or source runs: announces it
 * unless disabled. A failure to announce is logged, never fatal: the page
 * then falls back to what `seda describe` knows.
 */
export async function announceInstance(
  what: Pick<StageDescriptor, 'kind' | 'name' | 'group' | 'input' | 'outputs' | 'dlq' | 'mode'>,
  options: AnnounceInstanceOptions,
): Promise<Announcement | undefined> {
  if (!options.enabled) return undefined;
  const host = hostname();
  const m = options.metrics;
  const metricsUrl = m === undefined ? undefined : `http://${m.host === '0.0.0.0' || m.host === '::' ? host : m.host}:${m.port}/metrics`;
  const instance = `${host}:${process.pid}${options.instanceIndex === undefined ? '' : `#${options.instanceIndex}`}`;
  const fromEnv = Number(process.env.SEDA_ANNOUNCE_INTERVAL_MS);
  const heartbeatMs = options.heartbeatMs ?? (Number.isInteger(fromEnv) && fromEnv >= 100 ? fromEnv : undefined);
  try {
    const a = await announce({ ...what, instance, metricsUrl }, { ...options, heartbeatMs });
    options.until?.then(() => a.stop(), () => a.abandon()).catch(() => {});
    return a;
  } catch (err) {
    options.log?.warn({ err }, `not announced on ${announceTopic} (the pipeline page will not see this instance); pass --no-announce to skip`);
    return undefined;
  }
}
