/**
 * Answers for `GET /state/<key>` and `GET /state?prefix=&limit=` on the
 * operations port: the committed state of the partitions this instance owns,
 * decoded by the stage's state codec. Reads go to LevelDB's committed data,
 * never to the batch in progress, so they neither wait for processing nor
 * see a batch half-written.
 */
import type { PartitionOwner } from './state-owners.js';

/** What the state query reads; the LevelDB store implements it. */
export interface CommittedState {
  readCommitted(topic: string, partition: number, key: string): Promise<unknown>;
  entries(topic: string, partition: number, options?: { prefix?: string; limit?: number }): AsyncIterable<[string, unknown]>;
}

/** An HTTP answer: status and JSON body. */
export interface StateAnswer {
  status: number;
  body: unknown;
}

/** The state query of a running stage. */
export interface StateQuery {
  get(key: string): Promise<StateAnswer>;
  list(prefix: string, limit: number): Promise<StateAnswer>;
}

/** Options of {@link createStateQuery}. */
export interface StateQueryOptions {
  store: CommittedState;
  /** The input topic: state is kept per input partition. */
  input: string;
  group: string;
  /** Partitions of the input topic. */
  partitionCount: number;
  /** Input partitions this instance owns now. */
  owned(): number[];
  /** The announced owner of a partition this instance does not own, where known (bounded: `AnnouncedOwners`). */
  owner?: (partition: number) => Promise<PartitionOwner | undefined>;
}

/** Kafka's murmur2 hash (Java client's default partitioner, librdkafka's `murmur2_random`, seda's producers). */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ data.length;
  const whole = data.length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data.readInt32LE(i);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = data.length & 3;
  if (rest === 3) h ^= data[whole + 2] << 16;
  if (rest >= 2) h ^= data[whole + 1] << 8;
  if (rest >= 1) h = Math.imul(h ^ data[whole], m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h;
}

/** The input partition a key goes to under murmur2 partitioning. */
export function keyPartition(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key)) & 0x7fffffff) % partitions;
}

/** The `/state/<key>` URL next to an announced `/metrics` URL. */
export function stateUrl(metricsUrl: string, key: string): string {
  return `${metricsUrl.replace(/\/metrics\/?$/, '').replace(/\/+$/, '')}/state/${encodeURIComponent(key)}`;
}

/** Creates the state query of a running stage. */
export function createStateQuery(o: StateQueryOptions): StateQuery {
  return {
    async get(key) {
      const owned = o.owned();
      // Looked up in every owned partition: the input's producer may not have used murmur2.
      for (const p of owned) {
        const value = await o.store.readCommitted(o.input, p, key);
        if (value !== undefined) return { status: 200, body: { key, partition: p, value } };
      }
      const partition = keyPartition(key, o.partitionCount);
      const here = owned.includes(partition);
      const owner = here ? undefined : await o.owner?.(partition);
      const ownedHere = owned.length > 0 ? owned.map((p) => `${o.input}/${p}`).join(', ') : 'no partition';
      return {
        status: 404,
        body: {
          error: here
            ? `no state for key "${key}": it would be in ${o.input}/${partition}, which this instance owns, and no owned partition holds it`
            : owner === undefined
              ? `no state for key "${key}" here: it is in ${o.input}/${partition} (murmur2 partitioning), which another instance of group "${o.group}" owns; this one owns ${ownedHere}`
              : `no state for key "${key}" here: it is in ${o.input}/${partition} (murmur2 partitioning) of group "${o.group}", owned by instance ${owner.instance}, ${owner.metricsUrl === undefined ? 'which serves no metrics port' : `ask it at ${stateUrl(owner.metricsUrl, key)}`}; this one owns ${ownedHere}`,
          key,
          partition,
          ownedHere: here,
          owned,
          ...(owner === undefined ? {} : { owner }),
        },
      };
    },

    async list(prefix, limit) {
      const owned = o.owned();
      const entries: Array<{ partition: number; key: string; value: unknown }> = [];
      for (const p of owned) {
        for await (const [key, value] of o.store.entries(o.input, p, { prefix, limit })) entries.push({ partition: p, key, value });
      }
      entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.partition - b.partition));
      return { status: 200, body: { partitions: owned, entries: entries.slice(0, limit) } };
    },
  };
}
