import { columnsOf, headline, integrityLines, memoryLines, rowsOf, targetLines } from './format.js';
import type { ScenarioResult } from '../results.js';

/** The scenario's result as a plain-text table for the terminal. */
export function textTable(result: ScenarioResult): string {
  const rows = rowsOf(result);
  const cols = columnsOf(result);
  const header = ['', ...cols.map((c) => c.header)];
  const body = rows.map((r) => [r.label, ...cols.map((c) => c.cell(r.key))]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const out = [headline(result), line(header), ...body.map(line)];
  out.push(...integrityLines(result).map((l) => `  ${l}`));
  out.push(...memoryLines(result).map((l) => `  ${l}`));
  for (const n of result.notes) out.push(`  note: ${n}`);
  if (result.targets.length > 0) out.push('targets:', ...targetLines(result).map((l) => `  ${l}`));
  return out.join('\n');
}

/** The scenario's result as a Markdown table (RESULTS.md, docs/benchmarks.md). */
export function markdownTable(result: ScenarioResult): string {
  const rows = rowsOf(result);
  const cols = columnsOf(result);
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const out = [`| | ${cols.map((c) => esc(c.header)).join(' | ')} |`, `|---|${cols.map(() => '---:').join('|')}|`];
  for (const r of rows) out.push(`| ${esc(r.label)} | ${cols.map((c) => c.cell(r.key)).join(' | ')} |`);
  return out.join('\n');
}
