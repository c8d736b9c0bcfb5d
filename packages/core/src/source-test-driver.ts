import { SedaError } from './errors.js';
import type { Logger } from './logger.js';
import type { MessageHeaders, OutputBatch } from './record.js';
import type { Source } from './source.js';

/** Options of {@link testSource}. */
export interface TestSourceOptions {
  /** Values of the source's options (as `seda run <source> --<name> value` would give them). */
  options?: { readonly [name: string]: unknown };
  /** Output topic overrides by output name. */
  outputs?: { [name: string]: string };
  /** Start of the virtual clock (epoch ms). Default 0. */
  now?: number;
  /**
   * Ask the source to stop (abort `ctx.signal`) once this many records came, as
   * SIGTERM would; batches it generated ahead (up to 2) are still produced.
   */
  stopAfter?: number;
  /** Hard limit: the run is cut (the stream destroyed) past this many records. Default 1,000,000. */
  maxRecords?: number;
  log?: Logger;
}

/** A record a source produced, decoded with its output's codecs. */
export interface SourceTestOutput<K = any, V = any> {
  topic: string;
  key: K;
  value: V;
  headers: { [key: string]: string };
  partition?: number;
}

/** What {@link testSource} collected. */
export interface SourceTestRun {
  /** Records produced to an output, decoded, in order. */
  outputs<K = any, V = any>(name: string): SourceTestOutput<K, V>[];
  /** Records produced in all. */
  readonly records: number;
  /** Batches produced. */
  readonly batches: number;
  /** Virtual time the source spent waiting (its pacing). */
  readonly elapsedMs: number;
  /** True when the run was cut at `maxRecords` rather than ended by the source. */
  readonly cut: boolean;
}

function headerStrings(list: MessageHeaders | undefined): { [key: string]: string } {
  const map: { [key: string]: string } = {};
  for (const h of list ?? []) for (const k in h) map[k] = String(h[k]);
  return map;
}

/**
 * Runs a source in memory, with a virtual clock: `ctx.sleep` advances it at
 * once, so a paced source (records/s, a duration) runs instantly and
 * deterministically. Resolves when the source ends.
 */
export async function testSource(source: Source, options: TestSourceOptions = {}): Promise<SourceTestRun> {
  const start = options.now ?? 0;
  let clock = start;
  const controller = new AbortController();
  const readable = source.createReadable({
    options: options.options,
    outputs: options.outputs,
    log: options.log,
    signal: controller.signal,
    now: () => clock,
    sleep: async (ms, signal) => {
      if (signal.aborted) return false;
      clock += Math.max(0, ms);
      return true;
    },
  });
  const topicToOutput = new Map<string, string>();
  for (const [name, o] of Object.entries(source.outputs)) topicToOutput.set(options.outputs?.[name] ?? o.topic, name);
  const collected = new Map<string, SourceTestOutput[]>();
  const max = options.maxRecords ?? 1_000_000;
  let records = 0;
  let batches = 0;
  let cut = false;
  for await (const batch of readable as AsyncIterable<OutputBatch>) {
    batches++;
    for (const m of batch.messages) {
      const name = topicToOutput.get(m.topic)!;
      const spec = source.outputs[name];
      let list = collected.get(name);
      if (list === undefined) collected.set(name, (list = []));
      const out: SourceTestOutput = { topic: m.topic, key: spec.keyCodec.decode(m.key), value: spec.codec.decode(m.value), headers: headerStrings(m.headers) };
      if (m.partition !== undefined) out.partition = m.partition;
      list.push(out);
    }
    records += batch.messages.length;
    if (options.stopAfter !== undefined && records >= options.stopAfter) controller.abort();
    if (records >= max) {
      cut = true;
      readable.destroy();
      break;
    }
  }
  return {
    outputs(name) {
      if (!(name in source.outputs)) {
        throw new SedaError('SEDA_STAGE_OUTPUT_UNKNOWN', `source "${source.name}" has no output "${name}" (outputs: ${Object.keys(source.outputs).join(', ')})`);
      }
      return [...(collected.get(name) ?? [])];
    },
    records,
    batches,
    elapsedMs: clock - start,
    cut,
  };
}
