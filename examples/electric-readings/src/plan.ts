import { join } from 'node:path';

/** What `seda demo` was asked for, resolved. */
export interface DemoOptions {
  /** How long the source produces, ms. */
  durationMs: number;
  meters: number;
  /** Event time runs this much faster than wall time. */
  speedup: number;
  /** Event time of the first readings, epoch ms. */
  startMs: number;
  seed: number;
  /** Every n-th reading is malformed on purpose. */
  malformedEvery: number;
  partitions: number;
  /** Instances of consumption-average. */
  instances: number;
  killRandom: boolean;
  /** Mean pause between two kills, ms. */
  killEveryMs: number;
  /** `--chaos`: inject broker faults while the source runs. */
  chaos: boolean;
  /** Mean pause between two injected faults, ms. */
  chaosEveryMs: number;
  drainTimeoutMs: number;
  /** The demo's working directory (state, logs, pids). */
  dir: string;
  /** Write the results as JSON here. */
  reportFile?: string;
  /** Live view: TTY bars, or plain lines every few seconds. */
  tty: boolean;
  tariff: { peakStart: string; peakEnd: string; peakPrice: number; offPeakPrice: number };
  threshold: number;
  /** Log level of the stages (their logs go to <dir>/logs). */
  logLevel: string;
  /** `--ui`: serve the pipeline page on this port (0: any free one) during and after the run. */
  uiPort?: number;
}

/** One process of the pipeline. */
export interface StageSpec {
  /** The process's name (its log, its bar); what `seda run` takes unless `module` is set. */
  name: string;
  /** What `seda run` takes when it is not `name`: a stage module or package (`@seda/stage-billing/with-tariffs`). */
  module?: string;
  kind: 'source' | 'stage';
  /** Consumer group (stages). */
  group?: string;
  input?: string;
  output: string;
  dlq?: string;
  /** State directory of a stateful stage. */
  stateDir?: string;
  instances: number;
  /** Arguments after `seda run <name>`. */
  args: string[];
}

/** The topics of the pipeline. */
export const topics = {
  readings: 'electric-readings',
  /** The table billing joins: per-meter prices keyed and partitioned like the readings (co-partitioned). */
  tariffs: 'tariffs',
  audit: 'audit-log',
  bills: 'bills',
  averages: 'consumption-averages',
  alerts: 'alerts',
  auditDlq: 'audit.dlq',
  billingDlq: 'billing.dlq',
  averageDlq: 'consumption-average.dlq',
  alertsDlq: 'alerts.dlq',
} as const;

/** Event time between two readings of one meter in the demo. */
export const intervalMs = 60_000;

/** Readings per second the source produces: meters x speedup / interval. */
export function readingRate(o: DemoOptions): number {
  return (o.meters * o.speedup * 1000) / intervalMs;
}

/** The processes of the pipeline, in the order they start. */
export function pipeline(o: DemoOptions, brokers: string): StageSpec[] {
  // No group timeouts here: seda run finds the embedded broker and uses short ones by itself,
  // so a killed member's partitions move on within seconds.
  const common = ['--brokers', brokers, '--log-level', o.logLevel, '--from-beginning', '--commit-interval', '500'];
  const state = (name: string): string => join(o.dir, 'state', name);
  return [
    { name: 'audit', kind: 'stage', group: 'audit', input: topics.readings, output: topics.audit, dlq: topics.auditDlq, instances: 1, args: [...common] },
    {
      // The stream-table join recipe: billing with per-meter prices from the tariffs table (tariffs.ts writes it).
      name: 'billing',
      module: '@seda/stage-billing/with-tariffs',
      kind: 'stage',
      group: 'billing',
      input: topics.readings,
      output: topics.bills,
      dlq: topics.billingDlq,
      stateDir: state('billing'),
      instances: 1,
      args: [
        ...common,
        '--group',
        'billing',
        '--state-dir',
        state('billing'),
        '--peak-start',
        o.tariff.peakStart,
        '--peak-end',
        o.tariff.peakEnd,
        '--peak-price',
        String(o.tariff.peakPrice),
        '--off-peak-price',
        String(o.tariff.offPeakPrice),
        '--timezone',
        'UTC',
      ],
    },
    {
      name: 'consumption-average',
      kind: 'stage',
      group: 'consumption-average',
      input: topics.readings,
      output: topics.averages,
      dlq: topics.averageDlq,
      stateDir: state('consumption-average'),
      instances: o.instances,
      args: [...common, '--state-dir', state('consumption-average'), ...(o.instances > 1 ? ['--instances', String(o.instances), '--max-restarts', '1000'] : [])],
    },
    { name: 'alerts', kind: 'stage', group: 'alerts', input: topics.averages, output: topics.alerts, dlq: topics.alertsDlq, instances: 1, args: [...common, '--threshold', String(o.threshold)] },
    {
      name: 'meter-readings',
      kind: 'source',
      output: topics.readings,
      instances: 1,
      args: [
        '--brokers',
        brokers,
        '--log-level',
        o.logLevel,
        '--meters',
        String(o.meters),
        '--speedup',
        String(o.speedup),
        '--interval',
        String(intervalMs),
        '--duration',
        String(o.durationMs),
        '--seed',
        String(o.seed),
        '--start',
        new Date(o.startMs).toISOString(),
        '--malformed-every',
        String(o.malformedEvery),
        '--ts-format',
        'mixed',
      ],
    },
  ];
}

/**
 * The embedded broker keeps about 5 MiB per partition. Rough bytes per record
 * as stored (key, value, record and batch overhead) of the biggest topics, to
 * warn before a run that would lose records to retention.
 */
const bytesPerRecord: { [topic: string]: number } = { [topics.readings]: 60, [topics.audit]: 230, [topics.bills]: 270 };
/** 50 meter keys over 4 partitions are not even: the fullest partition holds ~1.5 times the mean. */
const keySkew = 1.5;
export const retentionBytesPerPartition = 5 * 1024 * 1024;

/** The topic expected to fill most of its partitions' retention, and the fraction it would use. */
export function retentionForecast(o: DemoOptions): { topic: string; fraction: number } {
  const records = (readingRate(o) * o.durationMs) / 1000;
  // Replays after kills add duplicates to at-least-once outputs: leave room for a third more.
  const margin = o.killRandom ? 1.33 : 1;
  let worst: { topic: string; fraction: number } = { topic: topics.readings, fraction: 0 };
  for (const [topic, bytes] of Object.entries(bytesPerRecord)) {
    const fraction = ((records / o.partitions) * bytes * keySkew * margin) / retentionBytesPerPartition;
    if (fraction > worst.fraction) worst = { topic, fraction };
  }
  return worst;
}
