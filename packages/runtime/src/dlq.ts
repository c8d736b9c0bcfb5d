import Kafka from 'node-rdkafka';
import { deadLetterHeaders, SedaError, type Logger, silentLogger } from '@seda/core';
import { connectClient, createTopic, disconnectClient, listTopics, splitKafkaProperties, type KafkaProperties } from '@seda/kafka';
import { headerValue, type ReadMessage, type TopicReader } from './topic-reader.js';

/** The compacted topic recording which dead letters were replayed (key `<dlq>/<partition>/<offset>`). */
export const replayLogTopic = '_seda_dlq_replays';
/** The header a replayed record carries: the dead letter it came from, `<dlq topic>/<partition>/<offset>`. */
export const replayedFromHeader = 'seda.replay.from';

/** A dead letter, decoded. */
export interface DeadLetter {
  topic: string;
  partition: number;
  offset: number;
  /** When it was dead-lettered (ms since the epoch). */
  timestamp: number;
  /** UTF-8 text; binary keys and values are given base64 (with `encoding: 'base64'`). */
  key: string | null;
  value: string | null;
  encoding: 'utf8' | 'base64';
  stage: string;
  error: string;
  code: string;
  source: { topic: string; partition: number; offset: number };
  /** Every header, as text (those named in `base64Headers` as base64 of their bytes). */
  headers: { [name: string]: string };
  /** Headers of the input whose values were binary, carried base64 (`seda.dlq.base64`). */
  base64Headers?: string[];
  /** Set when it was already replayed. */
  replayed?: ReplayMark;
}

/** What the replay log holds for a replayed dead letter. */
export interface ReplayMark {
  to: string;
  partition: number;
  offset: number;
  at: string;
}

/** A dead letter's position. */
export interface DeadLetterPosition {
  partition: number;
  offset: number;
}

const positionKey = (topic: string, p: DeadLetterPosition): string => `${topic}/${p.partition}/${p.offset}`;

function text(b: Buffer | null): { text: string | null; binary: boolean } {
  if (b === null) return { text: null, binary: false };
  const s = b.toString('utf8');
  return Buffer.from(s, 'utf8').equals(b) ? { text: s, binary: false } : { text: b.toString('base64'), binary: true };
}

/** Decodes a dead letter; undefined when the record is not one of seda's (no `seda.dlq.*` provenance). */
export function decodeDeadLetter(m: ReadMessage): DeadLetter | undefined {
  const sourceTopic = headerValue(m.headers, deadLetterHeaders.topic);
  const partition = Number(headerValue(m.headers, deadLetterHeaders.partition));
  const offset = Number(headerValue(m.headers, deadLetterHeaders.offset));
  if (sourceTopic === undefined || !Number.isInteger(partition) || !Number.isInteger(offset)) return undefined;
  const headers: { [name: string]: string } = {};
  for (const h of m.headers) for (const [k, v] of Object.entries(h)) headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  const key = text(m.key);
  const value = text(m.value);
  const base64Headers = m.headers.flatMap((h) => (deadLetterHeaders.base64 in h ? [String(h[deadLetterHeaders.base64])] : []));
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    timestamp: m.timestamp,
    key: key.text,
    value: value.text,
    encoding: key.binary || value.binary ? 'base64' : 'utf8',
    stage: headerValue(m.headers, deadLetterHeaders.stage) ?? '',
    error: headerValue(m.headers, deadLetterHeaders.error) ?? '',
    code: headerValue(m.headers, deadLetterHeaders.code) ?? '',
    source: { topic: sourceTopic, partition, offset },
    headers,
    ...(base64Headers.length > 0 ? { base64Headers } : {}),
  };
}

/** Options of {@link listDeadLetters}. */
export interface ListDeadLettersOptions {
  /** Only dead letters with this error code. */
  code?: string;
  /** At most this many per partition, the newest (default 1000). */
  limit?: number;
}

/** A page of a DLQ topic. */
export interface DeadLetterList {
  topic: string;
  deadLetters: DeadLetter[];
  /** Records of the topic that are not seda dead letters (left out of the list). */
  foreign: number;
  /** Count per error code over what was read. */
  codes: { [code: string]: number };
}

/** Fails with `SEDA_RUNTIME_DLQ_TOPIC` unless `topic` exists; its partition count otherwise. */
async function partitionsOf(reader: TopicReader, topic: string): Promise<number> {
  const n = (await reader.topics()).get(topic);
  if (n === undefined) throw new SedaError('SEDA_RUNTIME_DLQ_TOPIC', `topic "${topic}" does not exist; list topics with \`seda topics list\` (a stage's DLQ is <input>.dlq unless --dlq-topic says otherwise)`);
  return n;
}

/** The replay log as read now: position key -> mark. */
async function replayMarks(reader: TopicReader): Promise<Map<string, ReplayMark>> {
  const marks = new Map<string, ReplayMark>();
  const partitions = (await reader.topics()).get(replayLogTopic) ?? 0;
  for (let p = 0; p < partitions; p++) {
    const { low, high } = await reader.watermarks(replayLogTopic, p);
    for (const m of await reader.read(replayLogTopic, p, low, high)) {
      if (m.key === null) continue;
      if (m.value === null) marks.delete(m.key.toString());
      else {
        try {
          marks.set(m.key.toString(), JSON.parse(m.value.toString('utf8')) as ReplayMark);
        } catch {
          // not a replay mark: skipped
        }
      }
    }
  }
  return marks;
}

/** The dead letters of a DLQ topic, newest `limit` per partition, decoded and marked when already replayed. */
export async function listDeadLetters(reader: TopicReader, topic: string, options: ListDeadLettersOptions = {}): Promise<DeadLetterList> {
  const partitions = await partitionsOf(reader, topic);
  const limit = options.limit ?? 1000;
  const marks = await replayMarks(reader);
  const out: DeadLetterList = { topic, deadLetters: [], foreign: 0, codes: {} };
  for (let p = 0; p < partitions; p++) {
    const { low, high } = await reader.watermarks(topic, p);
    for (const m of await reader.read(topic, p, Math.max(low, high - limit), high)) {
      const d = decodeDeadLetter(m);
      if (d === undefined) {
        out.foreign++;
        continue;
      }
      out.codes[d.code] = (out.codes[d.code] ?? 0) + 1;
      if (options.code !== undefined && d.code !== options.code) continue;
      const mark = marks.get(positionKey(topic, d));
      if (mark !== undefined) d.replayed = mark;
      out.deadLetters.push(d);
    }
  }
  out.deadLetters.sort((a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset);
  return out;
}

/** Parses `--offsets`: `p:o` pairs (or bare offsets on a one-partition topic), comma-separated; ranges `p:a-b`. */
export function parseOffsets(spec: string): Array<{ partition?: number; offset: number }> {
  const out: Array<{ partition?: number; offset: number }> = [];
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(?:(\d+):)?(\d+)(?:-(\d+))?$/.exec(part);
    if (m === null) throw new SedaError('SEDA_RUNTIME_DLQ_OFFSETS', `"${part}" is not an offset: give partition:offset (e.g. 0:12), partition:first-last (0:10-20), or a bare offset on a one-partition topic`);
    const partition = m[1] === undefined ? undefined : Number(m[1]);
    const first = Number(m[2]);
    const last = m[3] === undefined ? first : Number(m[3]);
    if (last < first) throw new SedaError('SEDA_RUNTIME_DLQ_OFFSETS', `range "${part}" ends before it starts`);
    if (last - first > 100_000) throw new SedaError('SEDA_RUNTIME_DLQ_OFFSETS', `range "${part}" is over 100000 offsets; use --all`);
    for (let o = first; o <= last; o++) out.push({ partition, offset: o });
  }
  if (out.length === 0) throw new SedaError('SEDA_RUNTIME_DLQ_OFFSETS', 'no offsets given');
  return out;
}

/** Options of {@link replayDeadLetters}. */
export interface ReplayOptions {
  brokers: string;
  kafka?: KafkaProperties;
  /** The DLQ topic. */
  topic: string;
  /** Which dead letters: positions, or `all`. */
  select: Array<{ partition?: number; offset: number }> | 'all';
  /** Send them here instead of each one's source topic. */
  to?: string;
  /** Replay even those already replayed. */
  force?: boolean;
  log?: Logger;
}

/** One replayed (or skipped) dead letter. */
export interface ReplayedOne {
  partition: number;
  offset: number;
  to: string;
  /** Where it landed (replayed ones). */
  landed?: { partition: number; offset: number };
  /** Set for the skipped: it was already replayed (no --force). */
  already?: ReplayMark;
}

/** What a replay did. */
export interface ReplayResult {
  topic: string;
  replayed: ReplayedOne[];
  skipped: ReplayedOne[];
}

/**
 * Replays dead letters: each one's key, value and own headers (without
 * `seda.dlq.*`, with `seda.replay.from` naming it) to its source topic and
 * partition (or `to`), then records it in the compacted topic
 * `_seda_dlq_replays`, so a second replay skips it on any machine unless
 * forced. Everything is checked before anything is sent: an unknown topic,
 * an offset outside the topic, a record that is not a seda dead letter or a
 * missing target topic fails with a `SEDA_RUNTIME_DLQ_*` error and replays
 * nothing. A crash between the send and its mark can replay that one dead
 * letter again (at least once, never lost); replays of the same dead letter
 * started at the same moment on two machines are not serialized.
 */
export async function replayDeadLetters(reader: TopicReader, options: ReplayOptions): Promise<ReplayResult> {
  const { topic } = options;
  const topics = await reader.topics();
  const partitions = await partitionsOf(reader, topic);
  const chosen: ReadMessage[] = [];
  if (options.select === 'all') {
    for (let p = 0; p < partitions; p++) {
      const { low, high } = await reader.watermarks(topic, p);
      chosen.push(...(await reader.read(topic, p, low, high)));
    }
  } else {
    const byPartition = new Map<number, number[]>();
    for (const s of options.select) {
      if (s.partition === undefined && partitions > 1) throw new SedaError('SEDA_RUNTIME_DLQ_OFFSETS', `"${topic}" has ${partitions} partitions: give offsets as partition:offset`);
      const p = s.partition ?? 0;
      if (p >= partitions) throw new SedaError('SEDA_RUNTIME_DLQ_OFFSETS', `"${topic}" has no partition ${p} (it has ${partitions})`);
      byPartition.set(p, [...(byPartition.get(p) ?? []), s.offset]);
    }
    for (const [p, offsets] of byPartition) {
      const { low, high } = await reader.watermarks(topic, p);
      const outside = offsets.filter((o) => o < low || o >= high);
      if (outside.length > 0) {
        throw new SedaError('SEDA_RUNTIME_DLQ_OFFSETS', `offset${outside.length > 1 ? 's' : ''} ${outside.join(', ')} of ${topic}/${p} out of range: it holds ${low}..${high - 1}${high === low ? ' (nothing)' : ''}; see \`seda dlq list ${topic}\``);
      }
      const wanted = new Set(offsets);
      const min = Math.min(...offsets);
      const read = await reader.read(topic, p, min, Math.max(...offsets) + 1);
      const found = read.filter((m) => wanted.has(m.offset));
      if (found.length !== wanted.size) {
        const missing = [...wanted].filter((o) => !found.some((m) => m.offset === o));
        throw new SedaError('SEDA_RUNTIME_DLQ_OFFSETS', `${topic}/${p} has no record at offset ${missing.join(', ')} (compacted or deleted)`);
      }
      chosen.push(...found);
    }
  }
  const letters = chosen.map((m) => {
    const d = decodeDeadLetter(m);
    if (d === undefined) {
      throw new SedaError('SEDA_RUNTIME_DLQ_NOT_SEDA', `${topic}/${m.partition} offset ${m.offset} is not a seda dead letter (no seda.dlq.* headers), so it has no source to go back to; nothing was replayed`);
    }
    return { m, d };
  });
  for (const { d } of letters) {
    const target = options.to ?? d.source.topic;
    if (!topics.has(target)) {
      throw new SedaError('SEDA_RUNTIME_DLQ_TOPIC', `target topic "${target}" (of ${topic}/${d.partition} offset ${d.offset}) does not exist; nothing was replayed (create it, or pass --to <topic>)`);
    }
  }
  const marks = await replayMarks(reader);
  const result: ReplayResult = { topic, replayed: [], skipped: [] };
  const todo: typeof letters = [];
  for (const l of letters) {
    const mark = marks.get(positionKey(topic, l.d));
    if (mark !== undefined && options.force !== true) result.skipped.push({ partition: l.d.partition, offset: l.d.offset, to: mark.to, already: mark });
    else todo.push(l);
  }
  if (todo.length === 0) return result;
  await ensureReplayLog(options.brokers, options.kafka);
  const producer = await connectProducer(options.brokers, options.kafka);
  try {
    for (const { m, d } of todo) {
      const to = options.to ?? d.source.topic;
      // Its source partition when going back to the source topic (order and keys as before); else by key.
      const partition = options.to === undefined && d.source.partition < topics.get(to)! ? d.source.partition : null;
      // Binary header values stay base64 with their marker: node-rdkafka could not send their bytes as they were.
      const headers: Array<{ [k: string]: Buffer | string }> = m.headers.filter((h) => !Object.keys(h).some((k) => k.startsWith('seda.dlq.') && k !== deadLetterHeaders.base64));
      headers.push({ [replayedFromHeader]: positionKey(topic, d) });
      const landed = await send(producer, to, partition, m.value, m.key, headers);
      const mark: ReplayMark = { to, partition: landed.partition, offset: landed.offset, at: new Date().toISOString() };
      await send(producer, replayLogTopic, null, Buffer.from(JSON.stringify(mark)), Buffer.from(positionKey(topic, d)), []);
      result.replayed.push({ partition: d.partition, offset: d.offset, to, landed });
      (options.log ?? silentLogger).info({ from: positionKey(topic, d), to, landed }, 'dead letter replayed');
    }
  } finally {
    await disconnectClient(producer);
  }
  return result;
}

async function ensureReplayLog(brokers: string, kafka?: KafkaProperties): Promise<void> {
  if ((await listTopics(brokers, kafka)).some((t) => t.name === replayLogTopic)) return;
  try {
    await createTopic(brokers, replayLogTopic, 1, { kafka, config: { 'cleanup.policy': 'compact' } });
  } catch (err) {
    if ((err as SedaError).code !== 'SEDA_KAFKA_TOPIC_EXISTS') throw err;
  }
}

async function connectProducer(brokers: string, kafka?: KafkaProperties): Promise<Kafka.Producer> {
  const { global } = splitKafkaProperties(kafka, 'producer');
  delete global['statistics.interval.ms'];
  const producer = new Kafka.Producer({ 'bootstrap.servers': brokers, dr_cb: true, 'enable.idempotence': true, 'linger.ms': 0, ...global });
  await connectClient(producer, 10_000, (err) => new SedaError('SEDA_RUNTIME_DLQ_REPLAY', `cannot reach Kafka at ${brokers} to replay: ${err.message}`, { cause: err, canRetry: true }));
  producer.setPollInterval(5);
  return producer;
}

/** Produces one record and resolves with where it landed once acknowledged (bounded). */
function send(producer: Kafka.Producer, topic: string, partition: number | null, value: Buffer | null, key: Buffer | null, headers: Array<{ [k: string]: Buffer | string }>): Promise<{ partition: number; offset: number }> {
  return new Promise((resolve, reject) => {
    const token = {};
    const timer = setTimeout(() => {
      producer.off('delivery-report', onReport);
      reject(new SedaError('SEDA_RUNTIME_DLQ_REPLAY', `no acknowledgement for a record to "${topic}" within 30 s; it may or may not have landed`, { canRetry: true }));
    }, 30_000);
    const onReport = (err: Kafka.LibrdKafkaError | null | undefined, report: Kafka.DeliveryReport): void => {
      if (report.opaque !== token) return;
      clearTimeout(timer);
      producer.off('delivery-report', onReport);
      if (err) reject(new SedaError('SEDA_RUNTIME_DLQ_REPLAY', `replay to "${topic}" failed: ${err.message}`, { cause: err }));
      else resolve({ partition: report.partition, offset: report.offset });
    };
    producer.on('delivery-report', onReport);
    try {
      producer.produce(topic, partition, value, key, Date.now(), token, headers as never);
    } catch (err) {
      clearTimeout(timer);
      producer.off('delivery-report', onReport);
      reject(new SedaError('SEDA_RUNTIME_DLQ_REPLAY', `cannot send to "${topic}": ${(err as Error).message}`, { cause: err }));
    }
  });
}
