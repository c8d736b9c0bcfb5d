import { basename } from 'node:path';
import { warmupFor } from '../options.js';
import type { FigureKey, ScenarioResult, SystemResult } from '../results.js';

/** A number for a table: thousands separated from 1000 up, else 3 significant digits; `n/a` when missing. */
export function formatNumber(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return 'n/a';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** A ratio as `0.93x`; empty when missing. */
export function formatRatio(r: number | undefined): string {
  return r === undefined || !Number.isFinite(r) ? '' : `${r.toFixed(2)}x`;
}

/** The rows of a scenario's table, in order: label and the figure each row shows. */
export function rowsOf(result: ScenarioResult): Array<{ label: string; key: FigureKey }> {
  const rate = result.options.rate;
  const rows: Array<{ label: string; key: FigureKey }> = [
    { label: 'throughput (msg/s)', key: 'msgsPerSec' },
    { label: 'throughput (MB/s)', key: 'mbPerSec' },
    { label: 'latency p50, full speed (ms)', key: 'p50' },
    { label: 'latency p99, full speed (ms)', key: 'p99' },
    { label: 'latency p99.9, full speed (ms)', key: 'p999' },
    { label: `latency p50 @ ${formatNumber(rate)} msg/s (ms)`, key: 'rateP50' },
    { label: `latency p99 @ ${formatNumber(rate)} msg/s (ms)`, key: 'rateP99' },
    { label: `latency p99.9 @ ${formatNumber(rate)} msg/s (ms)`, key: 'rateP999' },
    { label: 'peak RSS (MB)', key: 'peakRssMB' },
    { label: 'RSS growth, first->last 100k (MB)', key: 'rssGrowthMB' },
    { label: 'CPU s per 1M messages', key: 'cpuSecPerM' },
    { label: 'cores busy: system', key: 'cores' },
    { label: 'cores busy: broker', key: 'brokerCores' },
    { label: 'cores busy: load generator + observer', key: 'harnessCores' },
    { label: 'cores busy: whole machine', key: 'machineCores' },
    { label: `cores busy: whole machine @ ${formatNumber(rate)} msg/s`, key: 'rateMachineCores' },
  ];
  // Rows no system has a figure for (e.g. latency of window outputs) are left out.
  return rows.filter((r) => result.systems.some((s) => s.figures[r.key] !== undefined));
}

/** Column layout: each system, and after every non-baseline system its ratio to the baseline. */
export function columnsOf(result: ScenarioResult): Array<{ header: string; cell: (key: FigureKey) => string; system: SystemResult }> {
  const base = result.systems.find((s) => s.baseline);
  const cols: Array<{ header: string; cell: (key: FigureKey) => string; system: SystemResult }> = [];
  for (const s of result.systems) {
    cols.push({ header: s.label, cell: (k) => formatNumber(s.figures[k]), system: s });
    if (!s.baseline && base !== undefined) cols.push({ header: `${s.id}/${base.id}`, cell: (k) => formatRatio(s.ratio[k]), system: s });
  }
  return cols;
}

/** One line per system: its errors, duplicates and missing records, or `clean`. */
export function integrityLines(result: ScenarioResult): string[] {
  return result.systems.map((s) => {
    if (s.notMeasured !== undefined) return `${s.label}: not measured: ${s.notMeasured}`;
    const problems: string[] = [];
    if (s.missing > 0) problems.push(`${s.missing} records missing`);
    const lost = s.runs.reduce((n, m) => n + (m.retention?.lost ?? 0), 0);
    if (lost > 0) problems.push(`${lost} of them lost to the broker's retention (~5 MiB per partition): lower --messages or --size, or raise --partitions`);
    if (s.duplicates > 0) problems.push(`${s.duplicates} duplicates (at-least-once)`);
    problems.push(...s.errors);
    const outputs = s.runs.find((m) => m.outputs !== undefined && m.phase === 'throughput');
    const clean = outputs === undefined ? 'every record delivered once, no errors' : `${formatNumber(outputs.outputs)} outputs for ${formatNumber(outputs.messages + warmupFor(outputs.messages))} inputs (counted, not checked), no errors`;
    return `${s.label}: ${problems.length === 0 ? clean : problems.join('; ')}`;
  });
}

/** The targets as lines: `[met]`, `[NOT MET]`, `[n/a]` or `[info]`, name and figure. */
export function targetLines(result: ScenarioResult): string[] {
  return result.targets.map((t) => `[${t.info ? 'info' : t.met === undefined ? 'n/a' : t.met ? 'met' : 'NOT MET'}] ${t.name}: ${t.detail}`);
}

/** What a scenario measured, in one line. */
export function headline(result: ScenarioResult): string {
  const o = result.options;
  const parts = [`${formatNumber(o.messages)} messages`];
  if (result.scenario === 'stage' && o.stage !== undefined) parts.push(`stage ${basename(o.stage)}`);
  else if (result.scenario !== 'stateful') parts.push(`${o.size} B`);
  parts.push(`${o.partitions} partitions`, `${result.runs} run${result.runs > 1 ? 's (median)' : ''}`);
  return `${result.scenario}: ${result.description} (${parts.join(', ')})`;
}

/** One line per system with 2+ complete blocks of 100k records: its peak RSS in each (full speed, the first run). */
export function memoryLines(result: ScenarioResult): string[] {
  const lines: string[] = [];
  for (const s of result.systems) {
    const blocks = s.runs.find((m) => m.phase === 'throughput' && (m.rssPer100k?.length ?? 0) >= 2)?.rssPer100k;
    if (blocks !== undefined) lines.push(`${s.label}: peak RSS (MB) per 100k records: ${blocks.join(', ')}`);
  }
  return lines;
}
