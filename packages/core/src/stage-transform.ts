import { Transform, type TransformCallback } from 'node:stream';
import { sendDeadLetter, withDeadLetter, type DeadLetterTarget } from './dead-lettering.js';
import { checkMessageSize } from './message-size.js';
import { SedaError } from './errors.js';
import { headerList, headerMap } from './headers.js';
import { LineageDedupe, Verdict } from './lineage.js';
import { silentLogger } from './logger.js';
import { nullKeyPartition, tpKey } from './partition-key.js';
import { resolveOptions } from './options.js';
import type { ProcessStep } from './process-step.js';
import type { InputBatch, OutgoingMessage, OutputBatch, RawRecord, SedaRecord } from './record.js';
import { withRetry } from './retry.js';
import type { DeliveryMode, Emission, StageCounters, StageDefinition, StageInfo, StageInstanceOptions } from './stage.js';
import { Context, type ContextHost } from './stage-context.js';
import type { WindowResult } from './state.js';
import { createWindows, type WindowsEngine } from './windows.js';
import type { TableSource } from './tables.js';
import { tableViews } from './table-views.js';

interface ResolvedOutput {
  topic: string;
  /** Partitions of the topic when known (0: unknown, the producer's partitioner decides). */
  partitions: number;
  encodeKey(key: unknown): Buffer | null;
  encodeValue(value: unknown): Buffer | null;
}

/** What one input partition's batches are processed with; a partition has at most one batch in flight. */
interface Lane {
  readonly ctx: Context;
  readonly dedupe: LineageDedupe | undefined;
  readonly windows: WindowsEngine | undefined;
  busy: boolean;
}

/**
 * Runs a {@link StageDefinition} over batches. Sync `process` functions run
 * in a plain loop with no per-record promise; the first thenable switches
 * the rest of the batch to an awaited path. Batches of one partition are
 * processed one after another, so its records are processed, and emitted,
 * in order; while a batch awaits, batches of up to `concurrency - 1` other
 * partitions are taken and processed meanwhile. Output batches leave as they
 * finish (in order per partition, in any order across partitions).
 *
 * Every output and dead letter carries a lineage header
 * (`<group>/<topic>:<partition>:<offset>:<index>`, see lineage.ts). In
 * `exactly-once` mode a record whose lineage is at or below the position
 * stored for its stream is skipped, and the positions that moved are written
 * with the batch's state.
 *
 * A record's `process` runs wrapped in retry (retry.ts) and dead-lettering
 * (dead-lettering.ts): a failure the retries do not cure becomes the record's
 * dead letter, so the loop here only drives records.
 */
export class StageTransform extends Transform implements ContextHost {
  readonly #info: StageInfo;
  readonly #def: StageDefinition;
  readonly #outputs = new Map<string, ResolvedOutput>();
  readonly #state: StageInstanceOptions['state'];
  readonly #counters: StageCounters;
  readonly #group: string;
  readonly #deadLetters: DeadLetterTarget;
  /** `process` with its retries and dead-lettering. */
  readonly #process: ProcessStep<SedaRecord, Context>;
  readonly #exactlyOnce: boolean;
  readonly #log: StageInstanceOptions['log'];
  readonly #now: () => number;
  readonly #options: { readonly [name: string]: unknown };
  readonly #concurrency: number;
  readonly #maxMessageBytes: number | undefined;
  /** Feeds the declared tables; undefined when the stage declares none. */
  readonly #tables: TableSource | undefined;
  readonly #lanes = new Map<string, Lane>();
  /** Batches being processed asynchronously. */
  #inFlight = 0;
  /** What to do once a batch in flight finishes: take the next batch, or process the one parked for its busy partition. */
  #resume: (() => void) | undefined;
  /** The end of input, waiting for the batches in flight. */
  #flushed: (() => void) | undefined;

  constructor(info: StageInfo, def: StageDefinition, options: StageInstanceOptions) {
    super({ objectMode: true, readableHighWaterMark: 8, writableHighWaterMark: 8 });
    this.#info = info;
    this.#def = def;
    const partitions = options.partitions ?? {};
    for (const [name, spec] of Object.entries(info.outputs)) {
      const topic = options.outputs?.[name] ?? spec.topic;
      this.#outputs.set(name, {
        topic,
        partitions: partitions[topic] ?? 0,
        encodeKey: (k) => spec.keyCodec.encode(k),
        encodeValue: (v) => spec.codec.encode(v),
      });
    }
    for (const name of Object.keys(options.outputs ?? {})) {
      if (!this.#outputs.has(name)) {
        throw new SedaError('SEDA_STAGE_OUTPUT_UNKNOWN', `stage "${info.name}" has no output "${name}"; its outputs are: ${[...this.#outputs.keys()].join(', ') || '(none)'}`);
      }
    }
    const dlqTopic = options.dlqTopic ?? (options.input ? `${options.input}.dlq` : info.dlqTopic);
    if (info.hasState && options.state === undefined) {
      throw new SedaError('SEDA_STAGE_NO_STATE', `stage "${info.name}" declares state, but no state store was given to run it`);
    }
    const mode: DeliveryMode = options.mode ?? info.mode;
    if (mode === 'exactly-once' && options.state === undefined) {
      throw new SedaError('SEDA_STAGE_NO_STATE', `stage "${info.name}" runs exactly-once, which keeps what it applied with state, but no state store was given to run it`);
    }
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new SedaError('SEDA_OPTIONS_INVALID', `stage "${info.name}": concurrency must be a whole number of partitions, 1 or more (got ${String(concurrency)})`);
    }
    this.#concurrency = concurrency;
    this.#maxMessageBytes = options.maxMessageBytes;
    if (Object.keys(info.tables ?? {}).length > 0 && options.tables === undefined) {
      throw new SedaError('SEDA_STAGE_NO_TABLES', `stage "${info.name}" declares tables, but nothing was given to read them (run it with seda run, or give the test driver "tables")`);
    }
    this.#tables = Object.keys(info.tables ?? {}).length > 0 ? options.tables : undefined;
    this.#group = options.group ?? info.name;
    this.#exactlyOnce = mode === 'exactly-once';
    this.#state = options.state;
    this.#counters = options.counters ?? { recordsIn: 0, recordsOut: {}, deadLetters: 0, retries: 0, lateDropped: 0, duplicatesSkipped: 0, unlineaged: 0 };
    for (const name of this.#outputs.keys()) this.#counters.recordsOut[name] ??= 0;
    const deadLetters: DeadLetterTarget = {
      stage: info.name,
      topic: dlqTopic,
      partitions: partitions[dlqTopic] ?? 0,
      maxMessageBytes: options.maxMessageBytes,
      counters: this.#counters,
    };
    this.#deadLetters = deadLetters;
    const retrying = withRetry<SedaRecord, Context>((record, ctx) => def.process(record, ctx), { ...info.retry, ...options.retry }, { counters: this.#counters, sleep: options.sleep });
    this.#process = withDeadLetter(retrying, (ctx, err) => sendDeadLetter(deadLetters, ctx, err));
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    // Options are resolved (parsed, checked, defaulted) once, here, never per record.
    this.#options = resolveOptions(info.options, options.options, info.name);
  }

  /** Counters of this instance. */
  get counters(): StageCounters {
    return this.#counters;
  }

  #lane(topic: string, partition: number): Lane {
    const k = tpKey(topic, partition);
    let lane = this.#lanes.get(k);
    if (lane !== undefined) return lane;
    const ctx = new Context(this, this.#log ?? silentLogger, this.#now, this.#options);
    const spec = this.#info.state?.windows;
    // Windows close inside aggregate(), so a result is emitted by the record that closed it.
    const windows = spec
      ? createWindows(spec, {
          onResult: (w) => this.#onWindow(ctx, w),
          onLateDropped: () => {
            this.#counters.lateDropped++;
          },
        })
      : undefined;
    ctx.windowStore = windows;
    if (this.#tables !== undefined) ctx.tableViews = tableViews(this.#info.tables, this.#tables, () => ctx.stateBatch);
    lane = { ctx, dedupe: this.#exactlyOnce ? new LineageDedupe() : undefined, windows, busy: false };
    this.#lanes.set(k, lane);
    return lane;
  }

  override _transform(batch: InputBatch, encoding: BufferEncoding, callback: TransformCallback): void {
    const lane = this.#lane(batch.topic, batch.partition);
    if (lane.busy) {
      // Its partition's previous batch is still in flight: this one waits for it (and holds the input).
      this.#resume = () => this._transform(batch, encoding, callback);
      return;
    }
    let result: OutputBatch | Promise<OutputBatch>;
    try {
      result = this.#start(lane, batch);
    } catch (err) {
      callback(err as Error);
      return;
    }
    if (!(result instanceof Promise)) {
      callback(null, result);
      return;
    }
    lane.busy = true;
    this.#inFlight++;
    result.then(
      (out) => {
        lane.busy = false;
        this.#inFlight--;
        if (!this.destroyed) this.push(out);
        this.#wake();
      },
      (err: unknown) => {
        lane.busy = false;
        this.#inFlight--;
        this.destroy(err instanceof Error ? err : new Error(String(err)));
      },
    );
    if (this.#inFlight < this.#concurrency) callback();
    else this.#resume = () => callback();
  }

  override _flush(callback: TransformCallback): void {
    if (this.#inFlight === 0) callback();
    else this.#flushed = () => callback();
  }

  #wake(): void {
    const resume = this.#resume;
    this.#resume = undefined;
    resume?.();
    if (this.#inFlight === 0 && this.#flushed !== undefined) {
      const flushed = this.#flushed;
      this.#flushed = undefined;
      flushed();
    }
  }

  /** Processes a batch: its output batch, or a promise of it once a record needed one. */
  #start(lane: Lane, batch: InputBatch): OutputBatch | Promise<OutputBatch> {
    const out: OutputBatch = {
      topic: batch.topic,
      partition: batch.partition,
      nextOffset: batch.nextOffset,
      inputCount: batch.records.length,
      ticket: batch.ticket,
      messages: [],
      deadLetters: 0,
    };
    const ctx = lane.ctx;
    ctx.out = out;
    ctx.partition = batch.partition;
    ctx.topic = batch.topic;
    ctx.lineagePrefix = `${this.#group}/${batch.topic}:${batch.partition}:`;
    if (this.#state !== undefined) {
      const stateBatch = this.#state.begin(batch.topic, batch.partition);
      ctx.stateBatch = stateBatch;
      lane.windows?.bind(stateBatch, batch.partition);
    }
    lane.dedupe?.begin();
    this.#counters.recordsIn += batch.records.length;
    const run = (): OutputBatch | Promise<OutputBatch> => {
      const pending = this.#run(lane, batch.records, out, 0);
      return pending === undefined ? this.#finish(lane, out) : pending.then(() => this.#finish(lane, out));
    };
    // Tables: wait (bounded) until it is known which table records come before this batch's records.
    const tablesReady = this.#tables?.ready(batch.topic, batch.partition, maxTimestamp(batch.records));
    return tablesReady === undefined ? run() : tablesReady.then(run);
  }

  #finish(lane: Lane, out: OutputBatch): OutputBatch {
    const ctx = lane.ctx;
    if (ctx.stateBatch !== undefined) {
      lane.windows?.flush();
      // Positions go into the same change set as the state they stand for.
      lane.dedupe?.flush(ctx.stateBatch);
      out.state = ctx.stateBatch.seal();
      ctx.stateBatch = undefined;
    }
    ctx.out = undefined;
    ctx.raw = undefined;
    return out;
  }

  /** Processes records from index `from`; returns a promise only once a record needed one. */
  #run(lane: Lane, records: RawRecord[], out: OutputBatch, from: number): Promise<void> | undefined {
    const process = this.#process;
    const { ctx, dedupe } = lane;
    for (let i = from; i < records.length; i++) {
      const raw = records[i];
      // Table records stamped at or before this record are applied first (idempotent when re-entered).
      if (this.#tables !== undefined && ctx.stateBatch !== undefined) this.#tables.advance(raw.topic, raw.partition, raw.timestamp, ctx.stateBatch);
      if (dedupe !== undefined) {
        const verdict = dedupe.check(raw.headers);
        if (verdict === Verdict.Load) return dedupe.load(ctx.stateBatch!).then(() => this.#run(lane, records, out, i));
        if (verdict === Verdict.Duplicate) {
          this.#counters.duplicatesSkipped++;
          continue;
        }
        if (verdict === Verdict.Unlineaged) this.#counters.unlineaged++;
      }
      ctx.raw = raw;
      ctx.mark = out.messages.length;
      const record = this.#decode(ctx, raw);
      if (record === undefined) continue;
      ctx.beginAttempt();
      // A failure of process ends as the record's dead letter (withDeadLetter), not here.
      const pending = process(record, ctx);
      if (pending !== undefined) return Promise.resolve(pending).then(() => this.#run(lane, records, out, i + 1));
    }
    return undefined;
  }

  #decode(ctx: Context, raw: RawRecord): SedaRecord | undefined {
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
      // A codec's own code (e.g. SEDA_CODEC_SCHEMA: JSON that breaks its schema) says more than "cannot decode".
      const code = err instanceof SedaError && err.code.startsWith('SEDA_CODEC_') ? err.code : 'SEDA_CODEC_DECODE';
      sendDeadLetter(this.#deadLetters, ctx, new SedaError(code, `cannot decode record: ${(err as Error).message}`, { cause: err }));
      return undefined;
    }
  }

  #onWindow(ctx: Context, w: WindowResult): void {
    const onWindow = this.#def.onWindow;
    if (onWindow === undefined) return;
    // A window result is not an emission of the record that closed it: it inherits no key.
    ctx.inWindow = true;
    try {
      onWindow(w, ctx);
    } finally {
      ctx.inWindow = false;
    }
  }

  /** Encodes and appends one emission, with its lineage; called by the context. */
  emitOutput(ctx: Context, output: string, message: Emission): void {
    const target = this.#outputs.get(output);
    if (target === undefined) {
      throw new SedaError(
        'SEDA_STAGE_OUTPUT_UNKNOWN',
        `stage "${this.#info.name}" emitted to unknown output "${output}"; declare it in "outputs" (known: ${[...this.#outputs.keys()].join(', ') || 'none'})`,
      );
    }
    const out = ctx.out;
    if (out === undefined) throw new SedaError('SEDA_STAGE_PROCESS', 'ctx.emit() was called outside process()');
    const raw = ctx.raw;
    const lineage = raw === undefined ? undefined : `${ctx.lineagePrefix}${raw.offset}:${out.messages.length - ctx.mark}`;
    const key = message.key === undefined ? ((ctx.inWindow ? null : raw?.key) ?? null) : target.encodeKey(message.key);
    const value = target.encodeValue(message.value);
    const headers = headerList(message.headers, lineage);
    const partition = message.partition ?? (key === null && raw !== undefined ? nullKeyPartition(raw, target.partitions) : undefined);
    // One literal per shape: a partition added afterwards would not fit in the object and cost a property array per output.
    const msg: OutgoingMessage = partition === undefined ? { topic: target.topic, key, value, headers } : { topic: target.topic, key, value, headers, partition };
    if (this.#maxMessageBytes !== undefined) checkMessageSize(msg, this.#maxMessageBytes, output);
    out.messages.push(msg);
    this.#counters.recordsOut[output]++;
  }

  /** The error for a stage that uses ctx.windows without declaring windows. */
  noWindows(): Error {
    return new SedaError('SEDA_STAGE_NO_STATE', `stage "${this.#info.name}" uses ctx.windows but declares no "state.windows"`);
  }

  get stageName(): string {
    return this.#info.name;
  }
}

/** The largest timestamp of a batch's records. */
function maxTimestamp(records: RawRecord[]): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const r of records) if (r.timestamp > max) max = r.timestamp;
  return max;
}
