import { SedaError } from './errors.js';
import type { Logger } from './logger.js';
import type { OutputBatch, RawRecord } from './record.js';
import type { Emission, StageContext } from './stage.js';
import type { StateBatch, StateStore, WindowStore } from './state.js';
import type { TableView } from './tables.js';
import type { WindowsEngine } from './windows.js';

/** What the context needs of the transform that owns it. */
export interface ContextHost {
  readonly stageName: string;
  /** Encodes and appends one emission of the record `ctx` is processing. */
  emitOutput(ctx: Context, output: string, message: Emission): void;
  /** The error for a stage that uses windows without declaring them. */
  noWindows(): Error;
}

/**
 * The `ctx` handed to `process`; one per input partition of a transform (so
 * batches of different partitions can be processed at the same time),
 * rebound per batch and per record.
 */
export class Context implements StageContext {
  out: OutputBatch | undefined;
  stateBatch: StateBatch | undefined;
  /** The record being processed: what emissions inherit their key and lineage from. */
  raw: RawRecord | undefined;
  /** Where the current record's outputs start in the batch: an output's lineage index counts from here. */
  mark = 0;
  /** `<group>/<topic>:<partition>:` of the batch in progress. */
  lineagePrefix = '';
  /** True while `onWindow` runs. */
  inWindow = false;
  topic = '';
  partition = -1;
  /** This partition's window engine, when the stage declares windows. */
  windowStore: WindowsEngine | undefined;
  /** This partition's `ctx.tables`, when the stage declares tables. */
  tableViews: { readonly [name: string]: TableView } | undefined;
  /** The state savepoint of the current attempt at a record. */
  #statePoint = 0;
  readonly #t: ContextHost;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #logs = new Map<number, Logger>();
  readonly options: { readonly [name: string]: unknown };

  constructor(t: ContextHost, log: Logger, now: () => number, options: { readonly [name: string]: unknown }) {
    this.#t = t;
    this.#log = log;
    this.#now = now;
    this.options = options;
  }

  /** Marks the start of an attempt at the current record: what {@link undoAttempt} returns to (outputs from `mark` on, state, windows). */
  beginAttempt(): void {
    this.#statePoint = this.stateBatch?.savepoint() ?? 0;
    this.windowStore?.savepoint();
  }

  /** Undoes what the current attempt did: its outputs, its state writes and its window changes. */
  undoAttempt(): void {
    this.out!.messages.length = this.mark;
    this.stateBatch?.rollback(this.#statePoint);
    this.windowStore?.rollback();
  }

  emit(output: string, message: Emission): void {
    this.#t.emitOutput(this, output, message);
  }

  get state(): StateStore {
    if (this.stateBatch === undefined) {
      throw new SedaError('SEDA_STAGE_NO_STATE', `stage "${this.#t.stageName}" uses ctx.state but declares no "state"`);
    }
    return this.stateBatch;
  }

  get windows(): WindowStore {
    if (this.windowStore === undefined) throw this.#t.noWindows();
    return this.windowStore;
  }

  get tables(): { readonly [name: string]: TableView } {
    if (this.tableViews === undefined) throw new SedaError('SEDA_STAGE_NO_TABLES', `stage "${this.#t.stageName}" uses ctx.tables but declares no "tables"`);
    return this.tableViews;
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
