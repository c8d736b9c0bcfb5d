import { deadLetterHeaderList, deadLetterHeaders, errorCode } from './dead-letter.js';
import type { Logger } from './logger.js';
import { messageSizeBytes } from './message-size.js';
import { nullKeyPartition } from './partition-key.js';
import { isThenable, type ProcessStep } from './process-step.js';
import type { OutgoingMessage, OutputBatch, RawRecord } from './record.js';

/** Where and how a stage writes its dead letters. */
export interface DeadLetterTarget {
  /** The stage's name, recorded on every dead letter. */
  readonly stage: string;
  readonly topic: string;
  /** Partitions of the dead-letter topic when known (0: unknown, the producer's partitioner decides). */
  readonly partitions: number;
  /** The producer's limit; a larger dead letter goes without its value. */
  readonly maxMessageBytes: number | undefined;
  /** Counts every dead letter. */
  readonly counters: { deadLetters: number };
}

/** The context of the record a dead letter stands for. */
export interface DeadLetterContext {
  readonly raw: RawRecord | undefined;
  readonly out: OutputBatch | undefined;
  /** Where the record's outputs start in the batch (its lineage index counts from here). */
  readonly mark: number;
  /** `<group>/<topic>:<partition>:` of the batch in progress. */
  readonly lineagePrefix: string;
  readonly log: Logger;
}

/**
 * Appends the dead letter of the record `ctx` is on to its output batch: the
 * input's key and value with provenance headers (see deadLetterHeaderList),
 * on the dead-letter topic, counted and logged ("record sent to dead-letter
 * topic").
 */
export function sendDeadLetter(target: DeadLetterTarget, ctx: DeadLetterContext, err: unknown): void {
  const raw = ctx.raw!;
  const out = ctx.out!;
  const e = err instanceof Error ? err : new Error(String(err));
  const lineage = `${ctx.lineagePrefix}${raw.offset}:${out.messages.length - ctx.mark}`;
  const msg: OutgoingMessage = { topic: target.topic, key: raw.key, value: raw.value, headers: deadLetterHeaderList(target.stage, raw, e, lineage) };
  if (target.maxMessageBytes !== undefined && messageSizeBytes(msg) > target.maxMessageBytes) {
    // A dead letter the producer would refuse fails the stage at every restart: it goes without
    // its value (still at its source offset in the input), saying so.
    msg.headers!.push({ [deadLetterHeaders.valueDropped]: String(raw.value?.length ?? 0) });
    msg.value = null;
  }
  if (raw.key === null || raw.key === undefined) {
    const partition = nullKeyPartition(raw, target.partitions);
    if (partition !== undefined) msg.partition = partition;
  }
  out.messages.push(msg);
  out.deadLetters++;
  target.counters.deadLetters++;
  ctx.log.warn({ offset: raw.offset, code: errorCode(e), err: e.message }, 'record sent to dead-letter topic');
}

/** What {@link withDeadLetter} needs of the context: a way to undo the failed attempt. */
export interface FailedAttemptContext {
  /** Undoes what the failed attempt left: its outputs and its state writes. */
  undoAttempt(): void;
}

/**
 * Wraps `process` so that its failure (a throw or a rejection, after any
 * retries) is not the stage's: the failed attempt is undone and `onFailure`
 * turns the error into the record's output (for a stage, its dead letter,
 * see {@link sendDeadLetter}). A step that completes or fails synchronously
 * stays synchronous.
 */
export function withDeadLetter<R, C extends FailedAttemptContext>(process: ProcessStep<R, C>, onFailure: (ctx: C, err: unknown) => void): ProcessStep<R, C> {
  const fail = (ctx: C, err: unknown): void => {
    ctx.undoAttempt();
    onFailure(ctx, err);
  };
  return (record, ctx) => {
    let result: void | PromiseLike<void>;
    try {
      result = process(record, ctx);
    } catch (err) {
      fail(ctx, err);
      return undefined;
    }
    if (!isThenable(result)) return undefined;
    return Promise.resolve(result).then(undefined, (err: unknown) => fail(ctx, err));
  };
}
