import { Transform, type TransformCallback } from 'node:stream';
import { SedaError } from './errors.js';
import { silentLogger, type Logger } from './logger.js';
import { resolveOptions } from './options.js';
import type { HeaderValue, InputBatch, MessageHeaders, OutgoingMessage, OutputBatch, RawRecord, SedaRecord } from './record.js';
import type { Emission, StageContext, StageCounters, StageDefinition, StageInfo, StageInstanceOptions } from './stage.js';
import type { StateBatch, StateStore, WindowResult, WindowStore } from './state.js';
import { createWindows, type WindowsEngine } from './windows.js';

/** Header names seda writes on dead letters. */
export const deadLetterHeaders = {
  stage: 'seda.dlq.stage',
  error: 'seda.dlq.error',
  code: 'seda.dlq.code',
  topic: 'seda.dlq.topic',
  partition: 'seda.dlq.partition',
  offset: 'seda.dlq.offset',
  timestamp: 'seda.dlq.timestamp',
} as const;

const EMPTY_HEADERS: { readonly [key: string]: HeaderValue } = Object.freeze({});
const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface ResolvedOutput {
  topic: string;
  encodeKey(key: unknown): Buffer | null;
  encodeValue(value: unknown): Buffer | null;
}

function headerMap(list: MessageHeaders | undefined): { readonly [key: string]: HeaderValue } {
  if (list === undefined || list.length === 0) return EMPTY_HEADERS;
  const map: { [key: string]: HeaderValue } = {};
  for (const h of list) for (const k in h) map[k] = h[k];
  return map;
}

function headerList(map: { [key: string]: HeaderValue } | undefined): MessageHeaders | undefined {
  if (map === undefined) return undefined;
  const list: MessageHeaders = [];
  for (const k in map) list.push({ [k]: map[k] });
  return list.length > 0 ? list : undefined;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * Runs a {@link StageDefinition} over batches. Sync `process` functions run
 * in a plain loop with no per-record promise; the first thenable switches
 * the rest of the batch to an awaited path, so records of a partition are
 * always processed, and emitted, in order.
 */
export class StageTransform extends Transform {
  readonly #info: StageInfo;
  readonly #def: StageDefinition;
  readonly #outputs = new Map<string, ResolvedOutput>();
  readonly #dlqTopic: string;
  readonly #state: StageInstanceOptions['state'];
  readonly #windows: WindowsEngine | undefined;
  readonly #retryPolicy: Required<NonNullable<StageInstanceOptions['retry']>>;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #counters: StageCounters;
  readonly #ctx: Context;

  constructor(info: StageInfo, def: StageDefinition, options: StageInstanceOptions) {
    super({ objectMode: true, readableHighWaterMark: 8, writableHighWaterMark: 8 });
    this.#info = info;
    this.#def = def;
    for (const [name, spec] of Object.entries(info.outputs)) {
      const topic = options.outputs?.[name] ?? spec.topic;
      this.#outputs.set(name, { topic, encodeKey: (k) => spec.keyCodec.encode(k), encodeValue: (v) => spec.codec.encode(v) });
    }
    for (const name of Object.keys(options.outputs ?? {})) {
      if (!this.#outputs.has(name)) {
        throw new SedaError('SEDA_STAGE_OUTPUT_UNKNOWN', `stage "${info.name}" has no output "${name}"; its outputs are: ${[...this.#outputs.keys()].join(', ') || '(none)'}`);
      }
    }
    this.#dlqTopic = options.dlqTopic ?? (options.input ? `${options.input}.dlq` : info.dlqTopic);
    if (info.hasState && options.state === undefined) {
      throw new SedaError('SEDA_STAGE_NO_STATE', `stage "${info.name}" declares state, but no state store was given to run it`);
    }
    this.#state = options.state;
    this.#retryPolicy = { ...info.retry, ...options.retry };
    this.#sleep = options.sleep ?? defaultSleep;
    this.#counters = options.counters ?? { recordsIn: 0, recordsOut: {}, deadLetters: 0, retries: 0, lateDropped: 0 };
    for (const name of this.#outputs.keys()) this.#counters.recordsOut[name] ??= 0;
    // Options are resolved (parsed, checked, defaulted) once, here, never per record.
    this.#ctx = new Context(this, options.log ?? silentLogger, options.now ?? Date.now, resolveOptions(info.options, options.options, info.name));
    const windows = info.state?.windows;
    this.#windows = windows
      ? createWindows(windows, {
          onResult: (w) => this.#onWindow(w),
          onLateDropped: () => {
            this.#counters.lateDropped++;
          },
        })
      : undefined;
  }

  /** Counters of this instance. */
  get counters(): StageCounters {
    return this.#counters;
  }

  override _transform(batch: InputBatch, _encoding: BufferEncoding, callback: TransformCallback): void {
    const out: OutputBatch = {
      topic: batch.topic,
      partition: batch.partition,
      nextOffset: batch.nextOffset,
      inputCount: batch.records.length,
      messages: [],
      deadLetters: 0,
    };
    const ctx = this.#ctx;
    ctx.out = out;
    ctx.partition = batch.partition;
    ctx.topic = batch.topic;
    if (this.#state !== undefined) {
      const stateBatch = this.#state.begin(batch.topic, batch.partition);
      ctx.stateBatch = stateBatch;
      this.#windows?.bind(stateBatch, batch.partition);
    }
    this.#counters.recordsIn += batch.records.length;
    let pending: Promise<void> | undefined;
    try {
      pending = this.#run(batch.records, out, 0);
    } catch (err) {
      callback(err as Error);
      return;
    }
    if (pending === undefined && this.#windows === undefined) {
      this.#finish(out, callback);
    } else {
      (pending ?? Promise.resolve())
        .then(() => {
          // Window results are not emissions of a record: no input key to inherit.
          this.#ctx.raw = undefined;
          return this.#windows?.closeDue();
        })
        .then(() => this.#finish(out, callback), (err: unknown) => callback(err as Error));
    }
  }

  #finish(out: OutputBatch, callback: TransformCallback): void {
    const ctx = this.#ctx;
    if (ctx.stateBatch !== undefined) {
      out.state = ctx.stateBatch.seal();
      ctx.stateBatch = undefined;
    }
    ctx.out = undefined;
    callback(null, out);
  }

  /** Processes records from index `from`; returns a promise only once a record needed one. */
  #run(records: RawRecord[], out: OutputBatch, from: number): Promise<void> | undefined {
    const def = this.#def;
    const ctx = this.#ctx;
    for (let i = from; i < records.length; i++) {
      const raw = records[i];
      const record = this.#decode(raw, out);
      if (record === undefined) continue;
      ctx.raw = raw;
      const savepoint = ctx.stateBatch?.savepoint() ?? 0;
      const mark = out.messages.length;
      let result: void | Promise<void>;
      try {
        result = def.process(record, ctx);
      } catch (err) {
        return this.#retry(raw, record, out, err, savepoint, mark).then(() => this.#run(records, out, i + 1));
      }
      if (isThenable(result)) {
        return Promise.resolve(result).then(
          () => this.#run(records, out, i + 1),
          (err: unknown) => this.#retry(raw, record, out, err, savepoint, mark).then(() => this.#run(records, out, i + 1)),
        );
      }
    }
    return undefined;
  }

  #decode(raw: RawRecord, out: OutputBatch): SedaRecord | undefined {
    const input = this.#info.input;
    try {
      return {
        topic: raw.topic,
        partition: raw.partition,
        offset: raw.offset,
        key: input.keyCodec.decode(raw.key ?? null),
        value: input.codec.decode(raw.value),
        timestamp: raw.timestamp,
        headers: headerMap(raw.headers),
      };
    } catch (err) {
      this.#deadLetter(raw, out, new SedaError('SEDA_CODEC_DECODE', `cannot decode record: ${(err as Error).message}`, { cause: err }));
      return undefined;
    }
  }

  async #retry(raw: RawRecord, record: SedaRecord, out: OutputBatch, first: unknown, savepoint: number, mark: number): Promise<void> {
    const { attempts, backoffMs, maxBackoffMs } = this.#retryPolicy;
    const ctx = this.#ctx;
    let err = first;
    for (let attempt = 1; ; attempt++) {
      // A failed attempt leaves no trace: neither its outputs nor its state writes.
      out.messages.length = mark;
      ctx.stateBatch?.rollback(savepoint);
      const retriable = !(err instanceof SedaError) || err.canRetry;
      if (!retriable || attempt >= attempts) {
        this.#deadLetter(raw, out, err);
        return;
      }
      this.#counters.retries++;
      ctx.log.warn({ err, offset: raw.offset, attempt }, 'process failed; retrying');
      await this.#sleep(Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1)));
      ctx.raw = raw;
      try {
        await def(this.#def, record, ctx);
        return;
      } catch (e) {
        err = e;
      }
    }
  }

  #deadLetter(raw: RawRecord, out: OutputBatch, err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    const headers: MessageHeaders = [
      { [deadLetterHeaders.stage]: this.#info.name },
      { [deadLetterHeaders.error]: e.message },
      { [deadLetterHeaders.code]: (e as { code?: unknown }).code !== undefined ? String((e as { code?: unknown }).code) : 'SEDA_STAGE_PROCESS' },
      { [deadLetterHeaders.topic]: raw.topic },
      { [deadLetterHeaders.partition]: String(raw.partition) },
      { [deadLetterHeaders.offset]: String(raw.offset) },
      { [deadLetterHeaders.timestamp]: String(raw.timestamp) },
    ];
    if (raw.headers) headers.push(...raw.headers);
    out.messages.push({ topic: this.#dlqTopic, key: raw.key, value: raw.value, headers });
    out.deadLetters++;
    this.#counters.deadLetters++;
    this.#ctx.log.warn({ offset: raw.offset, code: headers[2][deadLetterHeaders.code], err: e.message }, 'record sent to dead-letter topic');
  }

  #onWindow(w: WindowResult): void {
    const onWindow = this.#def.onWindow;
    if (onWindow !== undefined) onWindow(w, this.#ctx);
  }

  /** Encodes and appends one emission; called by the context. */
  emitOutput(output: string, message: Emission, raw: RawRecord | undefined): void {
    const target = this.#outputs.get(output);
    if (target === undefined) {
      throw new SedaError(
        'SEDA_STAGE_OUTPUT_UNKNOWN',
        `stage "${this.#info.name}" emitted to unknown output "${output}"; declare it in "outputs" (known: ${[...this.#outputs.keys()].join(', ') || 'none'})`,
      );
    }
    const out = this.#ctx.out;
    if (out === undefined) throw new SedaError('SEDA_STAGE_PROCESS', 'ctx.emit() was called outside process()');
    const msg: OutgoingMessage = {
      topic: target.topic,
      key: message.key === undefined ? (raw?.key ?? null) : target.encodeKey(message.key),
      value: target.encodeValue(message.value),
      headers: headerList(message.headers),
    };
    if (message.partition !== undefined) msg.partition = message.partition;
    out.messages.push(msg);
    this.#counters.recordsOut[output]++;
  }

  /** The window store bound to the current batch, or an error if the stage has none. */
  windows(): WindowStore {
    if (this.#windows === undefined) {
      throw new SedaError('SEDA_STAGE_NO_STATE', `stage "${this.#info.name}" uses ctx.windows but declares no "state.windows"`);
    }
    return this.#windows;
  }

  get stageName(): string {
    return this.#info.name;
  }
}

function def(d: StageDefinition, record: SedaRecord, ctx: StageContext): void | Promise<void> {
  return d.process(record, ctx);
}

/** The `ctx` handed to `process`; one per transform, rebound per record. */
class Context implements StageContext {
  out: OutputBatch | undefined;
  stateBatch: StateBatch | undefined;
  raw: RawRecord | undefined;
  topic = '';
  partition = -1;
  readonly #t: StageTransform;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #logs = new Map<number, Logger>();
  readonly options: { readonly [name: string]: unknown };

  constructor(t: StageTransform, log: Logger, now: () => number, options: { readonly [name: string]: unknown }) {
    this.#t = t;
    this.#log = log;
    this.#now = now;
    this.options = options;
  }

  emit(output: string, message: Emission): void {
    this.#t.emitOutput(output, message, this.raw);
  }

  get state(): StateStore {
    if (this.stateBatch === undefined) {
      throw new SedaError('SEDA_STAGE_NO_STATE', `stage "${this.#t.stageName}" uses ctx.state but declares no "state"`);
    }
    return this.stateBatch;
  }

  get windows(): WindowStore {
    return this.#t.windows();
  }

  get offset(): number {
    return this.raw?.offset ?? -1;
  }

  get log(): Logger {
    let log = this.#logs.get(this.partition);
    if (log === undefined) {
      log = this.#log.child({ partition: this.partition });
      this.#logs.set(this.partition, log);
    }
    return log;
  }

  now(): number {
    return this.#now();
  }
}
