/**
 * What the bench and a worker process say to each other over IPC. A worker
 * runs ONE system under test (seda, raw node-rdkafka or KafkaJS) and reports
 * its own CPU and memory, so each system is measured in a process of its own.
 */

/** The systems a worker can run. */
export const systemKinds = ['seda-stage', 'raw-passthrough', 'kafkajs-passthrough', 'confluent-passthrough', 'platformatic-passthrough', 'seda-produce', 'raw-produce'] as const;
/** One of {@link systemKinds}. */
export type SystemKind = (typeof systemKinds)[number];

/** What a worker is asked to run. */
export interface WorkerConfig {
  system: SystemKind;
  brokers: string;
  /** Consumers: topic read, topic written, group. */
  input?: string;
  output?: string;
  group?: string;
  /** seda-stage: the stage module (path), and where its state lives when it has state. */
  stagePath?: string;
  stateDir?: string;
  /** Producers: messages after the warm-up, warm-up messages, value size, partitions, fixed rate (msg/s, 0: full speed). */
  messages?: number;
  warmup?: number;
  size?: number;
  partitions?: number;
  rate?: number;
  /** raw-passthrough: also write seda's lineage header on every output (the second baseline). */
  lineage?: boolean;
  /** librdkafka properties for every client of the system under test (KafkaJS maps fetch.wait.max.ms). */
  kafka?: { [key: string]: string | number | boolean };
  /** How often the worker samples its CPU, memory and progress, ms. */
  sampleMs?: number;
}

/** A worker's CPU (µs, user + system), RSS (bytes) and progress at time `t` (µs, monotonic clock). */
export interface WorkerSample {
  t: number;
  cpuMicros: number;
  rss: number;
  /** Records consumed (consumers) or acknowledged (producers) so far. */
  count: number;
}

/** Messages to a worker. */
export type ToWorker =
  | { type: 'start'; config: WorkerConfig }
  /** Producers: start producing. */
  | { type: 'go' }
  /** Graceful stop, then `done`. */
  | { type: 'stop' };

/** What a producer worker measured itself. */
export interface ProducerReport {
  /** Measured messages acknowledged (warm-up excluded). */
  acked: number;
  /** Start and end of the measured window (µs): first measured produce to last acknowledgement. */
  startMicros: number;
  endMicros: number;
  /** CPU used in the window, µs. */
  cpuMicros: number;
  /** Produce-to-acknowledgement latencies (µs), encoded HDR histogram. */
  histogram: string;
}

/** What every worker reports when it stops. */
export interface WorkerResult {
  /** Records consumed or acknowledged in all. */
  count: number;
  /** Peak RSS of the process (bytes, the kernel's maxrss). */
  peakRss: number;
  cpuMicros: number;
  /** Problems seen (delivery errors, commit failures...): a clean run has none. */
  errors: string[];
  notes: string[];
}

/** Messages from a worker. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'assigned'; partitions: number }
  | ({ type: 'sample' } & WorkerSample)
  | { type: 'produced'; report: ProducerReport }
  | { type: 'done'; result: WorkerResult }
  | { type: 'error'; message: string; code?: string };
