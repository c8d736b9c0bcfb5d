import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { SedaError, silentLogger, type Logger, type OutputBatch, type Source } from '@seda/core';
import { KafkaSink, type KafkaProperties } from '@seda/kafka';
import { checkTopics } from './topics.js';

/** Options of {@link runSource}. */
export interface RunSourceOptions {
  /** Bootstrap servers, `host:port,...`. */
  brokers: string;
  /** librdkafka properties passed through to the producer. */
  kafka?: KafkaProperties;
  /** Output topic overrides by output name. */
  outputs?: { [name: string]: string };
  /** Values of the source's declared options (typed, or strings to parse). */
  options?: { readonly [name: string]: unknown };
  log?: Logger;
  /** Check that the output topics exist before starting. Default true. */
  checkTopics?: boolean;
  /** How long the end of a run waits for the last delivery reports. Default 60 s. */
  flushTimeoutMs?: number;
  /** How long a stop waits for `generate` to honour `ctx.signal` before cutting it. Default 10 s. */
  stopTimeoutMs?: number;
}

/** What a finished source run produced. */
export interface SourceResult {
  /** Records handed to the producer. */
  produced: number;
  /** Records the broker acknowledged; equal to `produced` for a successful run. */
  acknowledged: number;
  /** Records produced per topic. */
  byTopic: { [topic: string]: number };
  /** True when the run ended because it was stopped (signal) rather than by the source itself. */
  stopped: boolean;
  durationMs: number;
}

/** A source producing to Kafka. */
export interface RunningSource {
  readonly source: Source;
  /** Records produced / acknowledged so far. */
  readonly produced: number;
  readonly acknowledged: number;
  /** Resolves when the source ended and every record was acknowledged; rejects otherwise. */
  readonly done: Promise<SourceResult>;
  /** Graceful stop: `generate` is asked to return; what it yielded is still delivered. Idempotent. */
  stop(): Promise<SourceResult>;
}

/**
 * Runs a source: its batches go to a Kafka sink (idempotent producer), and the
 * run succeeds only once the broker acknowledged every record produced.
 * Bad options fail at once, before connecting.
 */
export async function runSource(source: Source, options: RunSourceOptions): Promise<RunningSource> {
  const log = (options.log ?? silentLogger).child({ source: source.name });
  for (const name of Object.keys(options.outputs ?? {})) {
    if (!(name in source.outputs)) {
      throw new SedaError('SEDA_RUNTIME_OPTIONS', `source "${source.name}" has no output "${name}"; its outputs are: ${Object.keys(source.outputs).join(', ')}`);
    }
  }
  const controller = new AbortController();
  // Options are resolved here, so a bad one fails before any connection is made.
  const readable: Readable = source.createReadable({ outputs: options.outputs, options: options.options, log, signal: controller.signal });
  const topics = Object.entries(source.outputs).map(([name, o]) => options.outputs?.[name] ?? o.topic);
  try {
    if (options.checkTopics !== false) await checkTopics(options.brokers, topics, options.kafka, log);
  } catch (err) {
    readable.destroy();
    throw err;
  }

  let produced = 0;
  let acknowledged = 0;
  let stopped = false;
  let cut = false;
  const byTopic: { [topic: string]: number } = {};
  for (const t of topics) byTopic[t] = 0;
  const sink = new KafkaSink({
    brokers: options.brokers,
    kafka: options.kafka,
    log,
    onDelivered: (batch: OutputBatch) => {
      acknowledged += batch.messages.length;
      if (acknowledged >= produced) onAllAcked?.();
    },
  });
  let onAllAcked: (() => void) | undefined;
  /** Resolves once every record produced so far is acknowledged (false after timeoutMs). */
  const allAcked = (timeoutMs: number): Promise<boolean> =>
    acknowledged >= produced
      ? Promise.resolve(true)
      : new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), timeoutMs);
          onAllAcked = () => {
            clearTimeout(timer);
            onAllAcked = undefined;
            resolve(true);
          };
        });
  let failure: Error | undefined;
  sink.on('error', (err: Error) => {
    failure ??= err;
    readable.destroy(err);
  });
  try {
    await sink.connect();
  } catch (err) {
    readable.destroy();
    throw err;
  }
  const started = Date.now();
  log.info({ topics, options: options.options }, 'source started');

  const run = async (): Promise<SourceResult> => {
    try {
      try {
        for await (const batch of readable as AsyncIterable<OutputBatch>) {
          produced += batch.messages.length;
          for (const m of batch.messages) byTopic[m.topic] = (byTopic[m.topic] ?? 0) + 1;
          if (!sink.write(batch)) await Promise.race([once(sink, 'drain'), once(sink, 'close')]);
          if (failure) break;
        }
      } catch (err) {
        // A source cut after ignoring the stop signal ends its stream early: not a failure.
        if (!cut) throw failure ?? err;
      }
      if (failure) throw failure;
      // Every record written reaches librdkafka, then every delivery report arrives.
      const finished = once(sink, 'finish');
      sink.end();
      await finished;
      const flushTimeoutMs = options.flushTimeoutMs ?? 60_000;
      await sink.flush(flushTimeoutMs);
      // Delivery reports reach JavaScript after librdkafka's flush returns: wait for them too (bounded).
      await allAcked(flushTimeoutMs);
      if (failure) throw failure;
      if (acknowledged !== produced) {
        throw new SedaError('SEDA_RUNTIME_SOURCE_UNACKED', `only ${acknowledged} of ${produced} records produced by "${source.name}" were acknowledged by the broker`);
      }
      const result: SourceResult = { produced, acknowledged, byTopic, stopped, durationMs: Date.now() - started };
      log.info(result, 'source finished');
      return result;
    } catch (err) {
      log.error({ err, produced, acknowledged }, 'source failed');
      throw err;
    } finally {
      await sink.close().catch((err: unknown) => log.warn({ err }, 'closing the producer failed'));
    }
  };
  const done = run();
  done.catch(() => {}); // observed through `done` by the caller

  return {
    source,
    get produced() {
      return produced;
    },
    get acknowledged() {
      return acknowledged;
    },
    done,
    stop: async () => {
      if (!stopped) {
        stopped = true;
        log.info({ produced }, 'stopping: no new records; delivering those produced');
        controller.abort();
        const timer = setTimeout(() => {
          log.warn('the source did not return after its stop signal; cutting it');
          cut = true;
          readable.destroy();
        }, options.stopTimeoutMs ?? 10_000);
        timer.unref();
        done.finally(() => clearTimeout(timer)).catch(() => {});
      }
      return done;
    },
  };
}
