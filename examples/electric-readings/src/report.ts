import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Check } from './checks.js';
import type { DemoProcess } from './demo-process.js';
import type { Fault } from './chaos.js';
import type { Kill } from './kill-random.js';
import type { Sample } from './monitor.js';
import { intervalMs, type DemoOptions } from './plan.js';
import type { ReadBack } from './read-topics.js';
import { formatBytes } from './view.js';

/** Everything the summary shows and `--report` writes. */
export interface DemoReport {
  pass: boolean;
  interrupted: boolean;
  durationMs: number;
  readings: { produced: number | undefined; malformed: number; meters: number; eventHours: number; start: string };
  stages: Array<{ name: string; in: number; out: number; dlq: number; restarts: number; exitCode: number | null | undefined; stateBytes?: number }>;
  kills: Array<{ name: string; pid: number; atMs: number }>;
  /** Faults `--chaos` injected into the embedded broker, in order. */
  faults: Array<{ kind: string; detail: string; atMs: number }>;
  largestPartition?: { topic: string; partition: number; bytes: number };
  checks: Check[];
  logs: string;
}

/** What the run left behind for the report: the options, the outcome, the last sample, the processes, what was killed and injected, the topics read back. */
export interface RunOutcome {
  options: DemoOptions;
  started: number;
  interrupted: boolean;
  checks: Check[];
  last: Sample | undefined;
  procs: DemoProcess[];
  kills: Kill[];
  faults: Fault[];
  topicsRead: Map<string, ReadBack[]> | undefined;
}

/** The report of a run (passed only when it ran to the end and every check passed). */
export function demoReport(run: RunOutcome): DemoReport {
  const o = run.options;
  const source = run.procs.find((p) => p.spec.kind === 'source');
  const produced = source?.finished?.produced as number | undefined;
  return {
    pass: !run.interrupted && run.checks.length > 0 && run.checks.every((c) => c.pass),
    interrupted: run.interrupted,
    durationMs: Date.now() - run.started,
    readings: {
      produced,
      malformed: o.malformedEvery > 0 && typeof produced === 'number' ? Math.floor(produced / o.malformedEvery) : 0,
      meters: o.meters,
      eventHours: ((produced ?? 0) / o.meters) * (intervalMs / 3_600_000),
      start: new Date(o.startMs).toISOString(),
    },
    stages: (run.last?.stages ?? []).map((s) => {
      const proc = run.procs.find((p) => p.spec.name === s.name);
      return { name: s.name, in: s.in, out: s.out, dlq: s.dlq, restarts: s.restarts, exitCode: proc?.exits.at(-1)?.code, stateBytes: s.stateBytes };
    }),
    kills: run.kills,
    faults: run.faults,
    largestPartition: run.topicsRead ? largestPartition(run.topicsRead) : undefined,
    checks: run.checks,
    logs: relative(process.cwd(), join(o.dir, 'logs')) || join(o.dir, 'logs'),
  };
}

/** The biggest partition in bytes (keys, values, headers and ~12 bytes of record framing each), to show the retention margin. */
export function largestPartition(topics: Map<string, ReadBack[]>): DemoReport['largestPartition'] {
  let best: DemoReport['largestPartition'];
  for (const [topic, records] of topics) {
    const bytes = new Map<number, number>();
    for (const r of records) {
      let n = 12 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
      for (const k in r.headers) n += k.length + r.headers[k].length;
      bytes.set(r.partition, (bytes.get(r.partition) ?? 0) + n);
    }
    for (const [partition, b] of bytes) if (best === undefined || b > best.bytes) best = { topic, partition, bytes: b };
  }
  return best;
}

const int = (n: number | undefined): string => (n === undefined ? '-' : Math.round(n).toLocaleString('en-US'));

/** Prints the summary and the checks; writes the JSON report if asked. */
export function printReport(report: DemoReport, last: Sample | undefined, reportFile: string | undefined): void {
  const w = (s = ''): boolean => process.stdout.write(`${s}\n`);
  w();
  w(`seda demo: summary (${(report.durationMs / 1000).toFixed(1)} s${report.kills.length > 0 ? `, ${report.kills.length} stage processes SIGKILLed and restarted` : ''})`);
  const r = report.readings;
  if (r.produced !== undefined) w(`  readings   ${int(r.produced)} from ${r.meters} meters, ${r.eventHours.toFixed(1)} h of event time from ${r.start}; ${r.malformed} malformed on purpose`);
  w(`  ${'stage'.padEnd(22)}${'in'.padStart(10)}${'out'.padStart(10)}${'dlq'.padStart(6)}${'restarts'.padStart(10)}${'state'.padStart(11)}${'exit'.padStart(6)}`);
  for (const s of report.stages) {
    w(
      `  ${s.name.padEnd(22)}${int(s.in).padStart(10)}${int(s.out).padStart(10)}${int(s.dlq).padStart(6)}${int(s.restarts).padStart(10)}${(s.stateBytes === undefined ? '' : formatBytes(s.stateBytes)).padStart(11)}${String(s.exitCode ?? '-').padStart(6)}`,
    );
  }
  if (report.faults.length > 0) {
    w(`  faults injected (--chaos): ${report.faults.length}`);
    for (const f of report.faults) w(`    ${(f.atMs / 1000).toFixed(1).padStart(6)} s  ${f.kind.padEnd(15)}${f.detail}`);
  }
  if (report.largestPartition) {
    const l = report.largestPartition;
    w(`  largest partition: ${l.topic}/${l.partition}, about ${formatBytes(l.bytes)} of the embedded broker's ~5 MiB retention`);
  }
  if (last && last.retentionLoss.length > 0) w('  WARNING: records were lost to the broker\'s retention during the run');
  w();
  if (report.interrupted) {
    w('interrupted: every process was stopped; no checks were run');
  } else {
    w('checks');
    for (const c of report.checks) w(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
    const failed = report.checks.filter((c) => !c.pass).length;
    w();
    w(`${failed === 0 ? 'PASS' : 'FAIL'}: ${report.checks.length - failed} of ${report.checks.length} checks passed (logs: ${report.logs})`);
  }
  if (reportFile !== undefined) writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
}
