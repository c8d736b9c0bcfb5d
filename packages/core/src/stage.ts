import { Transform } from 'node:stream';
import { codecName, resolveCodec, type Codec, type CodecSpec } from './codec.js';
import { SedaError } from './errors.js';
import type { Logger } from './logger.js';
import { checkOptionsSchema, type OptionsSchema, type OptionValues } from './options.js';
import type { HeaderValue, SedaRecord } from './record.js';
import { isSessionSpec, resolveSessionSpec } from './session-windows.js';
import type { StateProvider, StateStore, WindowResult, WindowSpec, WindowStore } from './state.js';
import { StageTransform } from './stage-transform.js';
import { globalTableNames, globalTablesText, resolveTables, type TableInfo, type TableSource, type TableSpec, type TableView } from './tables.js';

/** Delivery modes; see the guarantees table in the README. */
export const deliveryModes = ['at-least-once', 'state', 'exactly-once', 'auto'] as const;
/** A delivery mode. */
export type DeliveryMode = (typeof deliveryModes)[number];

/** The topic a stage reads and how its records are decoded. */
export interface InputSpec {
  topic: string;
  /** Value codec; `json` by default. */
  codec?: CodecSpec;
  /** Key codec; `string` by default. */
  keyCodec?: CodecSpec;
}

/** A named output: the topic it goes to and how its records are encoded. */
export interface OutputSpec {
  topic: string;
  /** Value codec; `json` by default. */
  codec?: CodecSpec;
  /** Key codec; `string` by default. */
  keyCodec?: CodecSpec;
}

/** State a stage keeps; declaring it makes `state` the default mode. */
export interface StateSpec {
  /** Codec of stored values; `json` by default. */
  codec?: CodecSpec;
  /** Event-time windows, reached through `ctx.windows`. */
  windows?: WindowSpec;
}

/** How a failing `process` is retried before its record goes to the dead-letter topic. */
export interface RetrySpec {
  /** Attempts in all, the first included. Default 3. */
  attempts?: number;
  /** Delay before the first retry; doubles each time. Default 100 ms. */
  backoffMs?: number;
  /** Upper bound of the delay. Default 5000 ms. */
  maxBackoffMs?: number;
}

/** What a stage emits: the runtime encodes it with the output's codecs. */
export interface Emission<K = unknown, V = unknown> {
  /** The record key; the input record's key when omitted. */
  key?: K;
  value: V;
  headers?: { [key: string]: HeaderValue };
  partition?: number;
}

/** What `process` can do besides reading its record. */
export interface StageContext<O extends string = string, P = { readonly [name: string]: unknown }> {
  /** Sends a record to a named output. */
  emit(output: O, message: Emission): void;
  /** The partition's key/value state; only for stages that declare `state`. */
  readonly state: StateStore<any>;
  /** Windowed aggregation; only for stages that declare `state.windows`. */
  readonly windows: WindowStore<any>;
  /** The stage's declared tables by name (see docs/tables.md). */
  readonly tables: { readonly [name: string]: TableView<any> };
  /** Topic, partition and offset of the record being processed. */
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Logger bound to the stage and partition. */
  readonly log: Logger;
  /** The stage's declared options, resolved once before the first record (the same object for every record). */
  readonly options: P;
  /** Wall-clock time in ms (virtual in the test driver). */
  now(): number;
}

/** What a stage definition says; `defineStage` validates it once. */
export interface StageDefinition<K = any, V = any, O extends string = string, S extends OptionsSchema = {}> {
  name: string;
  description?: string;
  /**
   * Settings of the stage (a tariff, a threshold), typed, with defaults; read
   * as `ctx.options`. `seda run` takes them as `--<name> value`,
   * `--set name=value` or `SEDA_OPT_<NAME>`; the test driver as `{ options }`.
   */
  options?: S;
  input: InputSpec;
  outputs?: { [name in O]: OutputSpec };
  state?: StateSpec;
  /**
   * Tables read with `ctx.tables.<name>.get(key)`: compacted topics joined
   * with the input (co-partitioned, in timestamp order, kept with the state)
   * or read in full (`global: true`). See docs/tables.md.
   */
  tables?: { [name: string]: TableSpec };
  retry?: RetrySpec;
  /** Dead-letter topic; `<input topic>.dlq` by default. */
  dlqTopic?: string;
  /** Default delivery mode: `state` when the stage declares state, else `at-least-once`. */
  mode?: DeliveryMode;
  /**
   * False when replaying the same input may give other outputs (randomness,
   * wall-clock time, module-level variables, calls to outside services);
   * such stages cannot run `exactly-once`, and a hop from them into an
   * exactly-once stage is only at-least-once (a replay emits outputs with
   * the same lineage but other content). Default true.
   */
  deterministic?: boolean;
  /** Handles one record; may be async; may emit zero or more records. */
  process(record: SedaRecord<K, V>, ctx: StageContext<O, OptionValues<S>>): void | Promise<void>;
  /** Called with each window result (final, or every update with `emit: 'update'`). */
  onWindow?(window: WindowResult<any>, ctx: StageContext<O, OptionValues<S>>): void;
}

/** Topic overrides and collaborators the runtime (or the test driver) gives a stage instance. */
export interface StageInstanceOptions {
  /** Input topic override. */
  input?: string;
  /** Output topic overrides by output name. */
  outputs?: { [name: string]: string };
  /** Dead-letter topic override. */
  dlqTopic?: string;
  /** Where state lives; required when the stage declares state. */
  state?: StateProvider;
  log?: Logger;
  /** Wall clock; `Date.now` by default. */
  now?: () => number;
  /** Retry policy override. */
  retry?: RetrySpec;
  /** Waits between retries; replaced by the test driver to skip real time. */
  sleep?: (ms: number) => Promise<void>;
  /** Counters the runtime exports as metrics. */
  counters?: StageCounters;
  /**
   * Consumer group the instance runs in; the first part of the lineage its
   * outputs carry (see {@link lineageHeader}). The stage name by default.
   */
  group?: string;
  /** Delivery mode; `exactly-once` deduplicates input by lineage. The stage's default mode by default. */
  mode?: DeliveryMode;
  /**
   * Partition counts of output (and dead-letter) topics. When known, a
   * null-key output goes to a partition chosen from its input position, so a
   * replay sends it to the same partition as the first time.
   */
  partitions?: { [topic: string]: number };
  /** Values of the stage's declared options (typed, or strings to parse); resolved once with the defaults. */
  options?: { readonly [name: string]: unknown };
  /**
   * How many input partitions' batches may be processed at the same time
   * while an async `process` awaits (records of one partition always in
   * order). 1 by default: one batch at a time.
   */
  concurrency?: number;
  /**
   * The producer's `message.max.bytes`: an emission larger than this (key,
   * value, headers and record overhead) fails its record with
   * `SEDA_KAFKA_MESSAGE_TOO_LARGE`, so it is dead-lettered instead of failing
   * the producer (and the stage, again at every restart). Unchecked when unset.
   */
  maxMessageBytes?: number;
  /** Feeds the stage's tables; required when it declares any. */
  tables?: TableSource;
}

/** Counts a stage instance keeps; read by the runtime's metrics. */
export interface StageCounters {
  recordsIn: number;
  recordsOut: { [output: string]: number };
  deadLetters: number;
  retries: number;
  lateDropped: number;
  /** `exactly-once`: records skipped because their lineage was already applied. */
  duplicatesSkipped: number;
  /** `exactly-once`: records without a lineage header (from a non-seda producer), applied as they come. */
  unlineaged: number;
}

/** Resolved metadata of a stage: what `seda describe` prints and the runtime reads. */
export interface StageInfo {
  name: string;
  description?: string;
  input: { topic: string; codec: Codec<any>; keyCodec: Codec<any> };
  outputs: { [name: string]: { topic: string; codec: Codec<any>; keyCodec: Codec<any> } };
  dlqTopic: string;
  mode: DeliveryMode;
  hasState: boolean;
  state?: { codec: Codec<any>; windows?: WindowSpec };
  /** Declared tables (empty when none). */
  tables: { [name: string]: TableInfo };
  retry: Required<RetrySpec>;
  deterministic: boolean;
  /**
   * True when the stage stamps lineage on its outputs and can deduplicate its
   * input by lineage (every `defineStage` stage); false for a hand-written
   * Transform, which neither emits lineage nor runs `exactly-once`.
   */
  lineage: boolean;
  /** Declared options (empty when none). */
  options: OptionsSchema;
}

const stageBrand = Symbol.for('seda.stage');

/**
 * A stage: its resolved metadata plus a factory of Transform streams, one per
 * running instance. Transforms read {@link InputBatch} chunks and write
 * {@link OutputBatch} chunks.
 */
export interface Stage extends StageInfo {
  readonly [stageBrand]: true;
  /** Makes a Transform that runs this stage with the given topics and state. */
  createTransform(options?: StageInstanceOptions): Transform;
  /** The definition as given. */
  readonly definition?: StageDefinition;
}

/** True when `value` is a stage made by {@link defineStage} or {@link stageFromTransform}. */
export function isStage(value: unknown): value is Stage {
  return typeof value === 'object' && value !== null && (value as { [stageBrand]?: unknown })[stageBrand] === true;
}

function stageError(name: string, problems: string[]): SedaError {
  return new SedaError('SEDA_STAGE_INVALID', `stage "${name}" is invalid: ${problems.join('; ')}`);
}

function isPositiveInt(n: unknown): boolean {
  return typeof n === 'number' && Number.isInteger(n) && n > 0;
}

/**
 * Defines a stage. Checks the definition once, resolves its codecs, and
 * returns a {@link Stage} the runtime, the CLI and the test driver all read.
 *
 * @example
 * export default defineStage({
 *   name: 'double',
 *   input: { topic: 'numbers' },
 *   outputs: { doubled: { topic: 'doubled' } },
 *   process(record, ctx) { ctx.emit('doubled', { value: record.value * 2 }); },
 * });
 */
export function defineStage<K = any, V = any, O extends string = string, S extends OptionsSchema = {}>(definition: StageDefinition<K, V, O, S>): Stage {
  const problems: string[] = [];
  const name = typeof definition?.name === 'string' && definition.name.length > 0 ? definition.name : '(unnamed)';
  if (name === '(unnamed)') problems.push('"name" must be a non-empty string');
  if (typeof definition?.process !== 'function') problems.push('"process" must be a function (record, ctx) => void');
  if (!definition?.input || typeof definition.input.topic !== 'string' || definition.input.topic === '') {
    problems.push('"input.topic" must name the topic to read');
  }
  const outputs: StageInfo['outputs'] = {};
  const collect = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      problems.push((err as Error).message);
      return undefined;
    }
  };
  for (const [out, spec] of Object.entries<OutputSpec>((definition?.outputs ?? {}) as { [k: string]: OutputSpec })) {
    if (!spec || typeof spec.topic !== 'string' || spec.topic === '') {
      problems.push(`output "${out}" needs a "topic"`);
      continue;
    }
    const codec = collect(() => resolveCodec(spec.codec, 'json', `output "${out}" codec`));
    const keyCodec = collect(() => resolveCodec(spec.keyCodec, 'string', `output "${out}" keyCodec`));
    if (codec && keyCodec) outputs[out] = { topic: spec.topic, codec, keyCodec };
  }
  const inputCodec = collect(() => resolveCodec(definition?.input?.codec, 'json', 'input codec'));
  const inputKeyCodec = collect(() => resolveCodec(definition?.input?.keyCodec, 'string', 'input keyCodec'));
  const stateCodec = definition?.state ? collect(() => resolveCodec(definition.state?.codec, 'json', 'state codec')) : undefined;
  const windows = definition?.state?.windows;
  if (windows !== undefined) {
    if (isSessionSpec(windows)) collect(() => resolveSessionSpec(windows));
    else if (windows.size === undefined) problems.push('"state.windows.size" is required');
  }
  if (definition?.onWindow !== undefined && typeof definition.onWindow !== 'function') problems.push('"onWindow" must be a function');
  problems.push(...checkOptionsSchema(definition?.options));
  const retry = definition?.retry ?? {};
  if (retry.attempts !== undefined && !isPositiveInt(retry.attempts)) problems.push('"retry.attempts" must be a whole number >= 1');
  if (definition?.mode !== undefined && !deliveryModes.includes(definition.mode)) {
    problems.push(`"mode" must be one of ${deliveryModes.join(', ')}`);
  }
  const tables = resolveTables(definition?.tables, problems);
  // Co-partitioned tables live in the partition's state store, written with its offsets.
  const hasState = definition?.state !== undefined || Object.values(tables).some((t) => !t.global);
  if (hasState && stateCodec !== undefined && Object.keys(tables).length > 0 && codecName(stateCodec) !== 'json') {
    problems.push('tables are kept with the state, which needs the json state codec; omit "state.codec" or make it "json"');
  }
  if (hasState === false && (definition?.mode === 'state' || definition?.mode === 'exactly-once')) {
    problems.push(`mode "${definition.mode}" needs "state" to be declared`);
  }
  if (definition?.mode === 'exactly-once' && definition.deterministic === false) {
    problems.push('mode "exactly-once" needs a deterministic stage (it declares deterministic: false); use mode "state"');
  }
  // A global table is not ordered with the stream, so a replay may join against other contents.
  const globals = globalTableNames(tables);
  if (globals.length > 0 && definition?.deterministic === true) {
    problems.push(`"deterministic: true" cannot hold with ${globalTablesText(globals)}: a replay may see other contents; omit "deterministic", or make the table co-partitioned`);
  }
  if (globals.length > 0 && definition?.mode === 'exactly-once') {
    problems.push(`mode "exactly-once" needs a deterministic stage, and ${globalTablesText(globals)} is not ordered with the stream; use mode "state", or make the table co-partitioned`);
  }
  if (problems.length > 0) throw stageError(name, problems);

  const info: StageInfo = {
    name,
    description: definition.description,
    input: { topic: definition.input.topic, codec: inputCodec!, keyCodec: inputKeyCodec! },
    outputs,
    dlqTopic: definition.dlqTopic ?? `${definition.input.topic}.dlq`,
    mode: definition.mode ?? (hasState ? 'state' : 'at-least-once'),
    hasState,
    state: hasState ? { codec: stateCodec ?? resolveCodec('json', 'json'), windows: definition.state?.windows } : undefined,
    tables,
    retry: { attempts: retry.attempts ?? 3, backoffMs: retry.backoffMs ?? 100, maxBackoffMs: retry.maxBackoffMs ?? 5000 },
    deterministic: globals.length === 0 && (definition.deterministic ?? true),
    lineage: true,
    options: definition.options ?? {},
  };
  const stage: Stage = {
    ...info,
    [stageBrand]: true,
    definition: definition as unknown as StageDefinition,
    createTransform: (options = {}) => new StageTransform(info, definition as unknown as StageDefinition, options),
  };
  return Object.freeze(stage);
}

/** Metadata for a hand-written Transform stage. */
export interface TransformStageInfo {
  name: string;
  description?: string;
  /** Input topic; may also be given at run time with `--input`. */
  input?: string;
  outputs?: { [name: string]: string };
  dlqTopic?: string;
}

/**
 * Wraps a hand-written Transform as a stage. The transform reads
 * {@link InputBatch} chunks and must push one {@link OutputBatch} per input
 * batch, in order (an empty `messages` list when nothing is emitted), so the
 * runtime can commit its offsets.
 */
export function stageFromTransform(
  create: (options: StageInstanceOptions) => Transform,
  meta: TransformStageInfo,
): Stage {
  if (typeof create !== 'function') throw stageError(meta?.name ?? '(unnamed)', ['a Transform stage needs a factory or class']);
  const json = resolveCodec('json', 'json');
  const str = resolveCodec('string', 'string');
  const outputs: StageInfo['outputs'] = {};
  for (const [n, topic] of Object.entries(meta.outputs ?? {})) outputs[n] = { topic, codec: json, keyCodec: str };
  const input = meta.input ?? '';
  return Object.freeze({
    [stageBrand]: true as const,
    name: meta.name,
    description: meta.description,
    input: { topic: input, codec: resolveCodec('buffer', 'buffer'), keyCodec: resolveCodec('buffer', 'buffer') },
    outputs,
    dlqTopic: meta.dlqTopic ?? `${input}.dlq`,
    mode: 'at-least-once' as const,
    hasState: false,
    retry: { attempts: 1, backoffMs: 0, maxBackoffMs: 0 },
    deterministic: true,
    lineage: false,
    options: {},
    tables: {},
    createTransform: (options: StageInstanceOptions = {}) => create(options),
  });
}

/** A new set of zeroed counters. */
export function createCounters(): StageCounters {
  return { recordsIn: 0, recordsOut: {}, deadLetters: 0, retries: 0, lateDropped: 0, duplicatesSkipped: 0, unlineaged: 0 };
}
