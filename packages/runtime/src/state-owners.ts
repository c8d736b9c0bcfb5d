/**
 * Which instance owns a partition, as the instances announce it on
 * `_seda_stages` (their descriptors' `partitions`). For the state query's
 * 404: it names the owner where known. Read on its own client, cached and
 * bounded, so a lookup never waits long and never touches processing.
 */
import { silentLogger, type Logger } from '@seda/core';
import { AnnouncementLog, defaultHeartbeatMs, staleAfterHeartbeats, type AnnouncedInstance } from './announce.js';
import type { TopicReader } from './topic-reader.js';

/** The announced owner of a partition. */
export interface PartitionOwner {
  instance: string;
  /** Its announced /metrics URL, when it serves one (its /state is next to it). */
  metricsUrl?: string;
}

/** Options of {@link AnnouncedOwners}. */
export interface AnnouncedOwnersOptions {
  reader: TopicReader;
  group: string;
  /** The stage name. */
  stage: string;
  /** This instance's announced id, left out of the answers. */
  self?: () => string | undefined;
  /** Announcements read at most this often. Default 1000 ms. */
  maxAgeMs?: number;
  /** A lookup waits at most this long for a refresh, else answers from the last one. Default 2000 ms. */
  timeoutMs?: number;
  /** Default `_seda_stages`. */
  topic?: string;
  log?: Logger;
}

/** Owners of partitions from the latest non-stale announcements of one group and stage. */
export class AnnouncedOwners {
  readonly #o: AnnouncedOwnersOptions;
  readonly #log: AnnouncementLog;
  #known: AnnouncedInstance[] = [];
  #readAt = 0;
  #refreshing: Promise<void> | undefined;

  constructor(options: AnnouncedOwnersOptions) {
    this.#o = options;
    this.#log = new AnnouncementLog(options.reader, options.topic);
  }

  /** The instance announced as owning `partition` of the input, if any (the newest heartbeat when two claim it). */
  async ownerOf(partition: number): Promise<PartitionOwner | undefined> {
    const now = Date.now();
    if (this.#refreshing === undefined && now - this.#readAt >= (this.#o.maxAgeMs ?? 1000)) {
      this.#refreshing = this.#log.refresh().then(
        (list) => {
          this.#known = list;
          this.#readAt = Date.now();
        },
        (err: unknown) => (this.#o.log ?? silentLogger).warn({ err }, 'reading announcements for the state query failed; owners stay unknown until the next read'),
      ).finally(() => (this.#refreshing = undefined));
    }
    if (this.#refreshing !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.#refreshing, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#o.timeoutMs ?? 2000)))]);
      clearTimeout(timer);
    }
    const self = this.#o.self?.();
    const at = Date.now();
    const claims = this.#known.filter(
      (d) =>
        d.kind === 'stage' && d.group === this.#o.group && d.name === this.#o.stage && d.instance !== self && (d.partitions ?? []).includes(partition) &&
        at - Date.parse(d.heartbeatAt) <= staleAfterHeartbeats * (d.heartbeatMs || defaultHeartbeatMs),
    );
    const newest = claims.sort((a, b) => Date.parse(b.heartbeatAt) - Date.parse(a.heartbeatAt))[0];
    return newest === undefined ? undefined : { instance: newest.instance, ...(newest.metricsUrl === undefined ? {} : { metricsUrl: newest.metricsUrl }) };
  }

  /** Closes the reader; bounded. */
  async close(): Promise<void> {
    await this.#o.reader.close();
  }
}
