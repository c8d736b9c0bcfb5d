import { Readable } from 'node:stream';
import { resolveCodec, type Codec } from './codec.js';
import { SedaError } from './errors.js';
import { headerList } from './headers.js';
import { silentLogger, type Logger } from './logger.js';
import { checkOptionsSchema, resolveOptions, type OptionsSchema, type OptionValues } from './options.js';
import type { HeaderValue, OutgoingMessage, OutputBatch } from './record.js';
import type { OutputSpec } from './stage.js';

/**
 * Sources: plugins that produce records into topics (a meter simulator, a CSV
 * replay, a poller of some API) instead of transforming an input topic.
 * Like a stage, a source is a module whose default export is
 * `defineSource({...})`; `seda run <source>` runs it through the same loader,
 * producing with delivery reports awaited; `testSource` runs it in memory.
 *
 * A source yields *batches* of records (as Kafka Connect's `SourceTask.poll()`
 * returns lists): the per-batch machinery (a promise, a stream chunk) is paid
 * per batch, never per record.
 */

/** One record a source produces. */
export interface SourceEmission<O extends string = string, K = unknown, V = unknown> {
  /** Output name; may be left out when the source has exactly one output. */
  to?: O;
  /** Record key, encoded with the output's key codec; none when undefined or null. */
  key?: K | null;
  value: V;
  headers?: { [key: string]: HeaderValue };
  /** Explicit partition; by default the producer's partitioner picks one from the key. */
  partition?: number;
  /** Kafka timestamp (epoch ms); the producer's clock by default. */
  timestamp?: number;
}

/** What a source's `generate` is given. */
export interface SourceContext<P = { readonly [name: string]: unknown }> {
  /** The source's declared options, resolved once before `generate` starts. */
  readonly options: P;
  readonly log: Logger;
  /**
   * Aborted when the source is asked to stop (SIGTERM/SIGINT): `generate`
   * should return soon after; everything it yielded is still delivered.
   */
  readonly signal: AbortSignal;
  /** Wall-clock time in ms (virtual in `testSource`). */
  now(): number;
  /**
   * Waits `ms` (virtual time in `testSource`, so pacing is tested without
   * waiting). Resolves true after the wait, or false at once when stopped.
   */
  sleep(ms: number): Promise<boolean>;
}

/** A batch of records, produced in order. */
export type SourceBatch<O extends string = string> = ReadonlyArray<SourceEmission<O>>;

/** What a source definition says; `defineSource` validates it once. */
export interface SourceDefinition<O extends string = string, S extends OptionsSchema = {}> {
  name: string;
  description?: string;
  /** Named outputs: the topic each goes to and its codecs (value `json`, key `string` by default). */
  outputs: { [name in O]: OutputSpec };
  /** Settings, typed, with defaults: `seda run <source> --<name> value`; `ctx.options` here. */
  options?: S;
  /**
   * Produces the records, batch by batch; returning ends the source (a
   * bounded run), as does `ctx.signal` being aborted. Pace with `ctx.sleep`.
   */
  generate(ctx: SourceContext<OptionValues<S>>): AsyncIterable<SourceBatch<NoInfer<O>>> | Iterable<SourceBatch<NoInfer<O>>>;
}

/** Resolved metadata of a source: what `seda describe` prints. */
export interface SourceInfo {
  name: string;
  description?: string;
  outputs: { [name: string]: { topic: string; codec: Codec<any>; keyCodec: Codec<any> } };
  options: OptionsSchema;
}

/** What the runtime (or `testSource`) gives a running source. */
export interface SourceInstanceOptions {
  /** Output topic overrides by output name. */
  outputs?: { [name: string]: string };
  /** Values of the declared options (typed, or strings to parse); resolved once with the defaults. */
  options?: { readonly [name: string]: unknown };
  log?: Logger;
  /** Aborting it asks the source to stop. */
  signal?: AbortSignal;
  /** Wall clock; `Date.now` by default. */
  now?: () => number;
  /** Waits; replaced by `testSource` with a virtual clock. Resolves false when `signal` aborted. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<boolean>;
}

const sourceBrand = Symbol.for('seda.source');

/**
 * A source: its resolved metadata plus a factory of Readable streams of
 * {@link OutputBatch} chunks (one per generated batch, encoded), which the
 * runtime writes to a Kafka sink.
 */
export interface Source extends SourceInfo {
  readonly [sourceBrand]: true;
  /** Makes a Readable running this source; throws `SEDA_OPTIONS_INVALID` at once for bad options. */
  createReadable(options?: SourceInstanceOptions): Readable;
  readonly definition: SourceDefinition;
}

/** True when `value` is a source made by {@link defineSource}. */
export function isSource(value: unknown): value is Source {
  return typeof value === 'object' && value !== null && (value as { [sourceBrand]?: unknown })[sourceBrand] === true;
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Defines a source. Checks the definition once and resolves its codecs.
 *
 * @example
 * export default defineSource({
 *   name: 'ticks',
 *   outputs: { ticks: { topic: 'ticks' } },
 *   options: { count: { type: 'integer', default: 10, description: 'ticks to produce' } },
 *   async *generate(ctx) {
 *     for (let i = 0; i < ctx.options.count && (await ctx.sleep(1000)); i++) yield [{ key: 'clock', value: { i } }];
 *   },
 * });
 */
export function defineSource<O extends string = string, S extends OptionsSchema = {}>(definition: SourceDefinition<O, S>): Source {
  const problems: string[] = [];
  const name = typeof definition?.name === 'string' && definition.name.length > 0 ? definition.name : '(unnamed)';
  if (name === '(unnamed)') problems.push('"name" must be a non-empty string');
  if (typeof definition?.generate !== 'function') problems.push('"generate" must be a function (ctx) => iterable of batches');
  const outputs: SourceInfo['outputs'] = {};
  for (const [out, spec] of Object.entries<OutputSpec>((definition?.outputs ?? {}) as { [k: string]: OutputSpec })) {
    if (!spec || typeof spec.topic !== 'string' || spec.topic === '') {
      problems.push(`output "${out}" needs a "topic"`);
      continue;
    }
    try {
      outputs[out] = {
        topic: spec.topic,
        codec: resolveCodec(spec.codec, 'json', `output "${out}" codec`),
        keyCodec: resolveCodec(spec.keyCodec, 'string', `output "${out}" keyCodec`),
      };
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  if (Object.keys(definition?.outputs ?? {}).length === 0) problems.push('"outputs" must name at least one output');
  problems.push(...checkOptionsSchema(definition?.options));
  if (problems.length > 0) throw new SedaError('SEDA_SOURCE_INVALID', `source "${name}" is invalid: ${problems.join('; ')}`);

  const info: SourceInfo = { name, description: definition.description, outputs, options: definition.options ?? {} };
  const def = definition as unknown as SourceDefinition;
  return Object.freeze({
    ...info,
    [sourceBrand]: true as const,
    definition: def,
    createReadable: (options: SourceInstanceOptions = {}) => createSourceReadable(info, def, options),
  });
}

interface ResolvedOutput {
  topic: string;
  keyCodec: Codec<any>;
  codec: Codec<any>;
}

function createSourceReadable(info: SourceInfo, def: SourceDefinition, options: SourceInstanceOptions): Readable {
  const targets = new Map<string, ResolvedOutput>();
  for (const [n, o] of Object.entries(info.outputs)) targets.set(n, { ...o, topic: options.outputs?.[n] ?? o.topic });
  for (const n of Object.keys(options.outputs ?? {})) {
    if (!targets.has(n)) {
      throw new SedaError('SEDA_STAGE_OUTPUT_UNKNOWN', `source "${info.name}" has no output "${n}"; its outputs are: ${[...targets.keys()].join(', ')}`);
    }
  }
  const only = targets.size === 1 ? [...targets.values()][0] : undefined;
  const values = resolveOptions(info.options, options.options, info.name);
  const signal = options.signal ?? new AbortController().signal;
  const sleep = options.sleep ?? abortableSleep;
  const ctx: SourceContext = {
    options: values,
    log: options.log ?? silentLogger,
    signal,
    now: options.now ?? Date.now,
    sleep: (ms) => sleep(ms, signal),
  };

  const encode = (e: SourceEmission): OutgoingMessage => {
    const target = e.to === undefined ? only : targets.get(e.to);
    if (target === undefined) {
      throw new SedaError(
        'SEDA_STAGE_OUTPUT_UNKNOWN',
        e.to === undefined
          ? `source "${info.name}" has several outputs (${[...targets.keys()].join(', ')}): each record needs "to"`
          : `source "${info.name}" produced to unknown output "${e.to}"; declare it in "outputs" (known: ${[...targets.keys()].join(', ')})`,
      );
    }
    const msg: OutgoingMessage = {
      topic: target.topic,
      key: e.key === undefined || e.key === null ? null : target.keyCodec.encode(e.key),
      value: target.codec.encode(e.value),
      headers: headerList(e.headers),
    };
    if (e.partition !== undefined) msg.partition = e.partition;
    if (e.timestamp !== undefined) msg.timestamp = e.timestamp;
    return msg;
  };

  async function* batches(): AsyncGenerator<OutputBatch> {
    let produced = 0;
    for await (const batch of def.generate(ctx)) {
      if (batch.length === 0) continue;
      const messages = new Array<OutgoingMessage>(batch.length);
      for (let i = 0; i < batch.length; i++) messages[i] = encode(batch[i]);
      produced += messages.length;
      // One ordering lane (topic/partition of the batch) for the whole source: delivery is reported in order.
      yield { topic: info.name, partition: 0, nextOffset: produced, inputCount: messages.length, messages, deadLetters: 0 };
    }
  }
  return Readable.from(batches(), { objectMode: true, highWaterMark: 2 });
}
