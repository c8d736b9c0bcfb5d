/**
 * Lineage: where an output record comes from, written by seda on every output
 * (and dead letter) as one header, so a downstream stage can recognise a
 * record it has already applied, and an external sink can upsert by it.
 *
 *   seda.lineage: <group>/<topic>:<partition>:<offset>:<index>
 *
 * `group` is the consumer group of the emitting stage, `topic`/`partition`/
 * `offset` the input record that produced the output, and `index` the
 * output's position among that input's outputs (0, 1, ...). A replay of the
 * same input by a deterministic stage in the same group yields the same
 * lineage. `<group>/<topic>:<partition>` names a *stream*; `offset:index`
 * orders the stream. Topic names cannot contain `/` or `:`, so the value
 * parses from the right even when the group does.
 */
import type { HeaderValue, MessageHeaders } from './record.js';
import type { StateStore } from './state.js';

/** Name of the lineage header. */
export const lineageHeader = 'seda.lineage';
/** On a dead letter: the lineage the failed input record carried, if any. */
export const deadLetterLineageHeader = 'seda.dlq.lineage';

/** A parsed lineage header. */
export interface Lineage {
  /** Consumer group of the stage that emitted the record. */
  group: string;
  /** Input topic, partition and offset of the record that produced it. */
  topic: string;
  partition: number;
  offset: number;
  /** Position of this output among the outputs of that input record. */
  index: number;
}

/** The lineage header value of a lineage. */
export function formatLineage(l: Lineage): string {
  return `${l.group}/${l.topic}:${l.partition}:${l.offset}:${l.index}`;
}

/** The stream a lineage belongs to: `<group>/<topic>:<partition>`. */
export function lineageStream(l: Pick<Lineage, 'group' | 'topic' | 'partition'>): string {
  return `${l.group}/${l.topic}:${l.partition}`;
}

const COLON = 58;

/** Parses the digits ending at `end` (exclusive) backwards; returns [value, index of the byte before them]. */
function digitsBack(v: HeaderValue, end: number, out: number[]): number {
  let n = 0;
  let mul = 1;
  let i = end - 1;
  const isString = typeof v === 'string';
  for (; i >= 0; i--) {
    const c = isString ? (v as string).charCodeAt(i) : (v as Buffer)[i];
    if (c < 48 || c > 57) break;
    n += (c - 48) * mul;
    mul *= 10;
  }
  out[0] = i === end - 1 || mul > 1e16 ? -1 : n;
  return i;
}

const scratch = [0];

/**
 * Finds the offset, index and end of the stream part of a lineage value
 * without allocating; `undefined` when the value is not a lineage.
 * `into` receives [offset, index, streamEnd].
 */
function scanLineage(v: HeaderValue, into: number[]): boolean {
  let i = digitsBack(v, v.length, scratch);
  const index = scratch[0];
  if (index < 0 || i < 0 || charAt(v, i) !== COLON) return false;
  i = digitsBack(v, i, scratch);
  const offset = scratch[0];
  if (offset < 0 || i < 0 || charAt(v, i) !== COLON) return false;
  into[0] = offset;
  into[1] = index;
  into[2] = i;
  return true;
}

function charAt(v: HeaderValue, i: number): number {
  return typeof v === 'string' ? v.charCodeAt(i) : v[i];
}

/** Parses a lineage header value; `undefined` when it is not one seda wrote. */
export function parseLineage(value: HeaderValue | undefined): Lineage | undefined {
  if (value === undefined) return undefined;
  const pos = [0, 0, 0];
  if (!scanLineage(value, pos)) return undefined;
  const stream = typeof value === 'string' ? value.slice(0, pos[2]) : value.toString('utf8', 0, pos[2]);
  const colon = stream.lastIndexOf(':');
  const slash = stream.lastIndexOf('/', colon);
  const partition = Number(stream.slice(colon + 1));
  if (colon < 0 || slash < 0 || !Number.isInteger(partition) || partition < 0 || colon === slash + 1) return undefined;
  return { group: stream.slice(0, slash), topic: stream.slice(slash + 1, colon), partition, offset: pos[0], index: pos[1] };
}

/** The lineage a record carries: from a header map (`record.headers`) or node-rdkafka's header list. */
export function lineageOf(headers: { readonly [key: string]: HeaderValue } | MessageHeaders | undefined): Lineage | undefined {
  return parseLineage(lineageValue(headers));
}

/** The raw lineage header value (the last one when repeated). */
export function lineageValue(headers: { readonly [key: string]: HeaderValue } | MessageHeaders | undefined): HeaderValue | undefined {
  if (headers === undefined) return undefined;
  if (!Array.isArray(headers)) return (headers as { readonly [key: string]: HeaderValue })[lineageHeader];
  let found: HeaderValue | undefined;
  for (let i = 0; i < headers.length; i++) {
    const v = headers[i][lineageHeader];
    if (v !== undefined) found = v;
  }
  return found;
}

/** What {@link LineageDedupe.check} says of a record. */
export const Verdict = {
  /** Above the stored position of its stream: apply it (the position moved). */
  Apply: 0,
  /** At or below the stored position: already applied, skip it. */
  Duplicate: 1,
  /** No (readable) lineage header: apply it, it cannot be deduplicated. */
  Unlineaged: 2,
  /** Its stream's position is not loaded yet: `await load()`, then check again. */
  Load: 3,
} as const;
/** A value of {@link Verdict}. */
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** State key prefix of stored stream positions (NUL-prefixed keys are seda's). */
export const positionKeyPrefix = '\u0000l\u0000';

interface Position {
  stream: string;
  /** The stream part of the header as it last came, to recognise it without allocating. */
  raw: HeaderValue;
  offset: number;
  index: number;
  dirty: boolean;
}

/**
 * Deduplication by lineage for one stage instance. Per upstream stream, the
 * highest (offset, index) applied is kept in the partition's own state (key
 * `\0l\0<stream>`), written with the batch's other state changes and its
 * input offset in one atomic write, so it moves with the partition.
 *
 * Per batch: positions are read once per stream (the first record of a
 * stream not seen in the batch asks for `load()`), compared per record in
 * memory without allocating, and written once at the end (`flush`).
 *
 * Why one high-water mark per stream is enough (the order argument): on one
 * partition, the first copies of a stream's outputs arrive in lineage order.
 * A deterministic stage emits in input order; the idempotent producer writes
 * each partition in order; an input offset is committed only after all its
 * outputs were acknowledged, and a partition's next owner (one per group at
 * a time) replays from a committed offset. So each run of a stream reaching
 * a partition (including a zombie owner's, still delivering after a revoke
 * timeout) is a gap-free ordered slice starting at a committed point, and
 * any lower lineage has arrived before a higher one is applied. It holds per
 * (partition, stream), so re-keying upstreams are fine; it fails when a
 * delivery leaves a hole while later outputs land (the runtime's producer
 * sets `enable.gapless.guarantee` against that, except for messages failing
 * by `message.timeout.ms`), when null-key outputs are partitioned at random
 * (the stage transform partitions them by input position), or when the
 * upstream is not deterministic. See the README for the whole table.
 */
export class LineageDedupe {
  readonly #positions = new Map<string, Position>();
  #last: Position | undefined;
  #toLoad: { stream: string; raw: HeaderValue } | undefined;
  readonly #pos = [0, 0, 0];
  /** Header values that looked like lineage but did not parse (counted as unlineaged). */
  malformed = 0;

  /** Starts a batch: positions are re-read from the batch's state. */
  begin(): void {
    this.#positions.clear();
    this.#last = undefined;
    this.#toLoad = undefined;
  }

  /** Classifies a record by its headers (node-rdkafka's list) and, when it is new, advances its stream's position. */
  check(headers: MessageHeaders | undefined): Verdict {
    const v = headers === undefined ? undefined : lineageValue(headers);
    if (v === undefined) return Verdict.Unlineaged;
    const pos = this.#pos;
    if (!scanLineage(v, pos)) {
      this.malformed++;
      return Verdict.Unlineaged;
    }
    const streamEnd = pos[2];
    let p = this.#last;
    if (p === undefined || !sameStream(p.raw, v, streamEnd)) {
      const stream = typeof v === 'string' ? v.slice(0, streamEnd) : v.toString('utf8', 0, streamEnd);
      p = this.#positions.get(stream);
      if (p === undefined) {
        this.#toLoad = { stream, raw: typeof v === 'string' ? stream : Buffer.from(v.subarray(0, streamEnd)) };
        return Verdict.Load;
      }
      this.#last = p;
    }
    const offset = pos[0];
    const index = pos[1];
    if (offset < p.offset || (offset === p.offset && index <= p.index)) return Verdict.Duplicate;
    p.offset = offset;
    p.index = index;
    p.dirty = true;
    return Verdict.Apply;
  }

  /** Loads the position of the stream the last `check` asked for. */
  async load(state: StateStore): Promise<void> {
    const want = this.#toLoad;
    if (want === undefined) return;
    this.#toLoad = undefined;
    const stored = (await state.get(positionKeyPrefix + want.stream)) as [number, number] | undefined;
    const p: Position = { stream: want.stream, raw: want.raw, offset: stored?.[0] ?? -1, index: stored?.[1] ?? -1, dirty: false };
    this.#positions.set(want.stream, p);
    this.#last = p;
  }

  /** Writes the positions that moved in this batch into the batch's state. */
  flush(state: StateStore): void {
    for (const p of this.#positions.values()) {
      if (!p.dirty) continue;
      state.put(positionKeyPrefix + p.stream, [p.offset, p.index]);
      p.dirty = false;
    }
  }
}

/** Whether `v`'s first `end` bytes (or chars) equal `known`, which has the same kind. */
function sameStream(known: HeaderValue, v: HeaderValue, end: number): boolean {
  if (known.length !== end) return false;
  if (typeof v === 'string') return typeof known === 'string' && v.startsWith(known);
  return typeof known !== 'string' && v.compare(known, 0, end, 0, end) === 0;
}

/** Positions a partition's state holds, by stream (for tools and tests). */
export async function storedPositions(state: StateStore): Promise<Map<string, { offset: number; index: number }>> {
  const out = new Map<string, { offset: number; index: number }>();
  for await (const [k, v] of state.range({ prefix: positionKeyPrefix })) {
    const [offset, index] = v as [number, number];
    out.set(k.slice(positionKeyPrefix.length), { offset, index });
  }
  return out;
}

/**
 * A key that names a record's content across replays and duplicates, for a
 * stage writing to a database (or any sink outside Kafka) to upsert by: the
 * lineage the record carries (its upstream's: every copy of it carries the
 * same one), or, for a record from a non-seda producer, its own
 * `<topic>:<partition>:<offset>` (stable across this stage's own replays).
 * Add the output's position when one record writes several rows.
 */
export function idempotencyKey(record: { topic: string; partition: number; offset: number; headers: { readonly [key: string]: HeaderValue } }): string {
  const v = record.headers[lineageHeader];
  if (v !== undefined && scanLineage(v, [0, 0, 0])) return typeof v === 'string' ? v : v.toString('utf8');
  return `${record.topic}:${record.partition}:${record.offset}`;
}
