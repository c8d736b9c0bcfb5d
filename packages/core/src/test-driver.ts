import type { Transform } from 'node:stream';
import { SedaError } from './errors.js';
import type { Logger } from './logger.js';
import { lineageOf, type Lineage } from './lineage.js';
import { memoryTables, type TestTableRecord } from './memory-tables.js';
import { createMemoryState } from './memory-state.js';
import type { HeaderValue, InputBatch, MessageHeaders, OutputBatch, RawRecord } from './record.js';
import { createCounters, type DeliveryMode, type Stage, type StageCounters } from './stage.js';
import { deadLetterHeaders } from './dead-letter.js';
import type { RangeOptions, StateProvider, WindowResult } from './state.js';
import { createWindows } from './windows.js';

/** A record to send through a stage under test; encoded with the stage's input codecs. */
export interface TestInput<K = unknown, V = unknown> {
  key?: K;
  value: V;
  /** Input partition; by default derived from the key. */
  partition?: number;
  /** Event/record timestamp; the driver's clock by default. */
  timestamp?: number;
  headers?: { [key: string]: HeaderValue };
}

/** A record to send as raw bytes, e.g. to test how a stage handles bytes its codec cannot read. */
export interface TestRawInput {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  partition?: number;
  timestamp?: number;
}

/** An output record, decoded with its output's codecs. */
export interface TestOutput<K = any, V = any> {
  topic: string;
  key: K;
  value: V;
  headers: { [key: string]: string };
  /** The input partition whose batch produced it. */
  inputPartition: number;
  /** Its parsed `seda.lineage` header. */
  lineage: Lineage | undefined;
}

/** A dead letter with the reason seda recorded in its headers. */
export interface TestDeadLetter {
  key: Buffer | null;
  value: Buffer | null;
  stage: string;
  error: string;
  code: string;
  topic: string;
  partition: number;
  offset: number;
  /** The dead letter's own lineage (this stage's input position). */
  lineage: Lineage | undefined;
  /** All its headers, as strings. */
  headers: { [key: string]: string };
}

/** Options of {@link testStage}. */
export interface TestStageOptions {
  /** Number of input partitions records are spread over by key. Default 1. */
  partitions?: number;
  /** Start of the driver's virtual clock (epoch ms). Default 0. */
  now?: number;
  /** Input topic override. */
  input?: string;
  /** Output topic overrides by output name. */
  outputs?: { [name: string]: string };
  log?: Logger;
  /** A state provider to use instead of a fresh in-memory one. */
  state?: StateProvider;
  /** Delivery mode; `exactly-once` deduplicates input by lineage (and gives even a stateless stage a state store). The stage's mode by default. */
  mode?: DeliveryMode;
  /** Consumer group named in the lineage of outputs; the stage name by default. */
  group?: string;
  /** Values of the stage's declared options (as `seda run --set` would give them). */
  options?: { readonly [name: string]: unknown };
  /** Records of the stage's tables by table name, in offset order; applied by timestamp as `seda run` does (see docs/tables.md). */
  tables?: { readonly [name: string]: readonly TestTableRecord[] };
}

/**
 * Runs a stage without Kafka, the way Kafka Streams' TopologyTestDriver does:
 * records go in, outputs, dead letters, committed state and offsets come out.
 * Each `send` is processed as one batch per partition and committed at once,
 * as if every output had been acknowledged.
 */
export interface StageTestDriver {
  /** Sends records (encoded with the input codecs) and waits until they are processed and committed. */
  send(records: TestInput | TestInput[]): Promise<void>;
  /** Sends records given as raw bytes. */
  sendRaw(records: TestRawInput | TestRawInput[]): Promise<void>;
  /** Records emitted to an output so far, decoded. */
  outputs<K = any, V = any>(name: string): TestOutput<K, V>[];
  /** Dead letters so far. */
  deadLetters(): TestDeadLetter[];
  /** Forgets collected outputs and dead letters. */
  clear(): void;
  /** Committed state of a partition. */
  state(partition?: number): { get(key: string): Promise<unknown>; entries(options?: RangeOptions): Promise<Array<[string, unknown]>> };
  /** Committed windows of a partition (optionally of one key). */
  windows(partition?: number, key?: string): Promise<WindowResult[]>;
  /** Committed next offset per partition. */
  offsets(): { [partition: number]: number };
  /** Moves the virtual clock (ctx.now(), default record timestamps, retry backoff) forward. */
  advanceTime(ms: number): void;
  /** The current virtual time. */
  now(): number;
  readonly counters: StageCounters;
  close(): Promise<void>;
}

/** Partition of a key, stable across runs (FNV-1a over the key bytes). */
function partitionOf(key: Buffer | null, partitions: number): number {
  if (key === null || partitions === 1) return 0;
  let h = 0x811c9dc5;
  for (const b of key) h = Math.imul(h ^ b, 0x01000193);
  return (h >>> 0) % partitions;
}

function headerStrings(list: MessageHeaders | undefined): { [key: string]: string } {
  const map: { [key: string]: string } = {};
  for (const h of list ?? []) for (const k in h) map[k] = String(h[k]);
  return map;
}

function toBuffer(v: Buffer | string | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? Buffer.from(v) : v;
}

/** Creates an in-memory test driver for a stage. */
export function testStage(stage: Stage, options: TestStageOptions = {}): StageTestDriver {
  const partitions = options.partitions ?? 1;
  const inputTopic = options.input ?? stage.input.topic;
  let clock = options.now ?? 0;
  const mode = options.mode ?? stage.mode;
  const state = options.state ?? (stage.hasState || mode === 'exactly-once' ? createMemoryState() : undefined);
  const counters = createCounters();
  const transform: Transform = stage.createTransform({
    input: options.input,
    outputs: options.outputs,
    mode,
    group: options.group,
    state,
    log: options.log,
    now: () => clock,
    counters,
    options: options.options,
    tables: Object.keys(stage.tables ?? {}).length > 0 ? memoryTables(stage.tables, options.tables, (k) => partitionOf(Buffer.from(k), partitions)) : undefined,
    sleep: async (ms) => {
      clock += ms;
    },
  });
  const topicToOutput = new Map<string, string>();
  for (const [name, spec] of Object.entries(stage.outputs)) topicToOutput.set(options.outputs?.[name] ?? spec.topic, name);
  const collected = new Map<string, TestOutput[]>();
  let dead: TestDeadLetter[] = [];
  const nextOffsets = new Map<number, number>();
  const committed: { [partition: number]: number } = {};
  let failure: Error | undefined;
  transform.on('error', (err: Error) => {
    failure = err;
  });

  const process = (batch: InputBatch): Promise<OutputBatch> =>
    new Promise<OutputBatch>((resolve, reject) => {
      if (failure) return reject(failure);
      const onError = (err: Error): void => {
        transform.off('data', onData);
        reject(err);
      };
      const onData = (out: OutputBatch): void => {
        transform.off('error', onError);
        resolve(out);
      };
      transform.once('data', onData);
      transform.once('error', onError);
      transform.write(batch);
    });

  const deliver = (out: OutputBatch): void => {
    for (const m of out.messages) {
      const name = topicToOutput.get(m.topic);
      const headers = headerStrings(m.headers);
      if (name === undefined) {
        dead.push({
          key: m.key,
          value: m.value,
          stage: headers[deadLetterHeaders.stage],
          error: headers[deadLetterHeaders.error],
          code: headers[deadLetterHeaders.code],
          topic: headers[deadLetterHeaders.topic],
          partition: Number(headers[deadLetterHeaders.partition]),
          offset: Number(headers[deadLetterHeaders.offset]),
          lineage: lineageOf(m.headers),
          headers,
        });
        continue;
      }
      const spec = stage.outputs[name];
      let list = collected.get(name);
      if (list === undefined) collected.set(name, (list = []));
      list.push({
        topic: m.topic,
        key: spec.keyCodec.decode(m.key),
        value: spec.codec.decode(m.value),
        headers,
        inputPartition: out.partition,
        lineage: lineageOf(m.headers),
      });
    }
  };

  const run = async (raws: Array<Omit<RawRecord, 'offset' | 'topic' | 'size'>>): Promise<void> => {
    const byPartition = new Map<number, RawRecord[]>();
    for (const r of raws) {
      if (r.partition < 0 || r.partition >= partitions || !Number.isInteger(r.partition)) {
        throw new SedaError('SEDA_STAGE_INVALID', `test record partition ${r.partition} is outside 0..${partitions - 1}; pass { partitions } to testStage()`);
      }
      const offset = nextOffsets.get(r.partition) ?? 0;
      nextOffsets.set(r.partition, offset + 1);
      let list = byPartition.get(r.partition);
      if (list === undefined) byPartition.set(r.partition, (list = []));
      list.push({ ...r, topic: inputTopic, offset, size: r.value?.length ?? 0 });
    }
    for (const [partition, records] of [...byPartition].sort((a, b) => a[0] - b[0])) {
      const out = await process({ topic: inputTopic, partition, records, nextOffset: records[records.length - 1].offset + 1 });
      deliver(out);
      // Delivered, so commit: state and offsets together, as the runtime does.
      if (state !== undefined) await state.commit(inputTopic, partition, out.state, out.nextOffset);
      committed[partition] = out.nextOffset;
    }
  };

  const committedView = (partition: number) => {
    if (state === undefined) throw new SedaError('SEDA_STAGE_NO_STATE', `stage "${stage.name}" declares no state`);
    return state.begin(inputTopic, partition);
  };

  return {
    async send(records) {
      const list = Array.isArray(records) ? records : [records];
      const raws = list.map((r) => {
        const key = r.key === undefined ? null : stage.input.keyCodec.encode(r.key);
        return {
          partition: r.partition ?? partitionOf(key, partitions),
          key,
          value: stage.input.codec.encode(r.value),
          timestamp: r.timestamp ?? clock,
          headers: r.headers ? Object.entries(r.headers).map(([k, v]) => ({ [k]: v })) : undefined,
        };
      });
      await run(raws);
    },
    async sendRaw(records) {
      const list = Array.isArray(records) ? records : [records];
      await run(
        list.map((r) => {
          const key = toBuffer(r.key);
          return { partition: r.partition ?? partitionOf(key, partitions), key, value: toBuffer(r.value), timestamp: r.timestamp ?? clock };
        }),
      );
    },
    outputs(name) {
      if (!(name in stage.outputs)) {
        throw new SedaError('SEDA_STAGE_OUTPUT_UNKNOWN', `stage "${stage.name}" has no output "${name}" (outputs: ${Object.keys(stage.outputs).join(', ') || 'none'})`);
      }
      return [...(collected.get(name) ?? [])];
    },
    deadLetters: () => [...dead],
    clear() {
      collected.clear();
      dead = [];
    },
    state(partition = 0) {
      return {
        get: (key) => committedView(partition).get(key),
        async entries(range) {
          const rows: Array<[string, unknown]> = [];
          for await (const row of committedView(partition).range(range)) rows.push(row);
          return rows;
        },
      };
    },
    async windows(partition = 0, key) {
      const spec = stage.state?.windows;
      if (spec === undefined) throw new SedaError('SEDA_STAGE_NO_STATE', `stage "${stage.name}" declares no windows`);
      const engine = createWindows(spec, { onResult: () => {}, onLateDropped: () => {} });
      engine.bind(committedView(partition), partition);
      const rows: WindowResult[] = [];
      for await (const w of engine.range(key)) rows.push(w);
      return rows;
    },
    offsets: () => ({ ...committed }),
    advanceTime(ms) {
      clock += ms;
    },
    now: () => clock,
    counters,
    async close() {
      transform.end();
      await state?.close();
    },
  };
}
