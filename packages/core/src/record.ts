/**
 * Record and batch shapes that flow between a source, a stage and a sink.
 *
 * Between streams, chunks are batches of records of one partition, never
 * single records: the stream machinery's per-chunk cost is paid per batch.
 */

/** A Kafka header value as it arrives (bytes) or as a stage gives it. */
export type HeaderValue = Buffer | string;

/** Kafka headers in node-rdkafka's shape: a list, since keys may repeat. */
export type MessageHeaders = Array<{ [key: string]: HeaderValue }>;

/** A record as read from Kafka: key and value are still bytes. */
export interface RawRecord {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  /** Milliseconds since the epoch (CreateTime or LogAppendTime). */
  timestamp: number;
  headers?: MessageHeaders;
  /** Size of the value in bytes. */
  size: number;
}

/** A record with key and value decoded by the stage's codecs: what `process` receives. */
export interface SedaRecord<K = unknown, V = unknown> {
  topic: string;
  partition: number;
  offset: number;
  key: K;
  value: V;
  timestamp: number;
  /** Headers as a map (the last value wins when a key repeats); bytes stay bytes. */
  headers: { readonly [key: string]: HeaderValue };
}

/** A chunk from a source: records of one partition, in offset order. */
export interface InputBatch {
  topic: string;
  partition: number;
  records: RawRecord[];
  /** The offset after the last record: what a commit of this batch stores. */
  nextOffset: number;
  /** The runtime's handle for committing this batch; opaque to stages, carried to the {@link OutputBatch}. */
  ticket?: unknown;
}

/** An encoded message, ready to produce. */
export interface OutgoingMessage {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: MessageHeaders;
  /** Explicit partition; by default the producer's partitioner picks one from the key. */
  partition?: number;
  timestamp?: number;
}

/**
 * A chunk from a stage to the sink: every message produced for one input
 * batch (outputs and dead letters, in input order), plus what to commit once
 * all of them are acknowledged by the broker.
 */
export interface OutputBatch {
  /** The input batch these messages stand for. */
  topic: string;
  partition: number;
  /** Offset to commit (or store with state) once every message is delivered. */
  nextOffset: number;
  /** Number of input records the batch covers. */
  inputCount: number;
  /** The input batch's {@link InputBatch.ticket}, carried through unchanged. */
  ticket?: unknown;
  messages: OutgoingMessage[];
  /** How many of `messages` are dead letters. */
  deadLetters: number;
  /**
   * State changes made while processing the batch, applied after delivery
   * in the same atomic write as `nextOffset` (state mode only). Opaque to the sink.
   */
  state?: unknown;
}
