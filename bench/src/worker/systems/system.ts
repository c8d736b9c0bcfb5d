import type { ProducerReport, WorkerConfig } from '../protocol.js';

/** What a worker needs from the system it runs. */
export interface WorkerSystem {
  /** Connects (and subscribes); resolves once ready for load. */
  start(): Promise<void>;
  /** Records consumed (consumers) or acknowledged (producers) so far. */
  count(): number;
  /** Producers: produce the warm-up and the measured messages, then report. */
  go?(): Promise<ProducerReport>;
  /** Graceful stop: finish in-flight work, commit, disconnect (bounded). */
  stop(): Promise<void>;
  /** Problems seen so far; a clean run has none. */
  readonly errors: string[];
  /** Things worth knowing that do not invalidate the run (e.g. commits retried after a rebalance). */
  notes?(): string[];
}

/** Callbacks a system reports through. */
export interface SystemHooks {
  /** The number of partitions assigned to this process changed. */
  onAssigned(partitions: number): void;
  /** A fatal failure: the worker reports it and exits. */
  onFatal(err: Error): void;
}

/** Makes the system of a config. */
export type SystemFactory = (config: WorkerConfig, hooks: SystemHooks) => WorkerSystem;

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `pred()` holds, polling every `everyMs`; false after `timeoutMs`. */
export async function waitUntil(pred: () => boolean, timeoutMs: number, everyMs = 5): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
  return true;
}

/** A required config field, or a clear error. */
export function required<K extends keyof WorkerConfig>(config: WorkerConfig, key: K): NonNullable<WorkerConfig[K]> {
  const v = config[key];
  if (v === undefined || v === null) throw new Error(`worker config of ${config.system} lacks "${String(key)}"`);
  return v as NonNullable<WorkerConfig[K]>;
}
