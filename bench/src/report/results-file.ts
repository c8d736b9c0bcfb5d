import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { ScenarioResult } from '../results.js';
import { formatNumber, headline, integrityLines, memoryLines, targetLines } from './format.js';
import { markdownTable } from './table.js';

const RESULTS_HEADER = `# Bench results

Appended by \`seda bench\` (\`npm run bench\` runs the quick suite). Every
figure is measured in the same run as the raw node-rdkafka baseline, on a
fresh embedded broker per measurement; ratios are seda / baseline. See the
docs/benchmarks.md for what each row means.
`;

/** The Markdown entry `seda bench` appends to RESULTS.md for one scenario. */
export function resultsEntry(result: ScenarioResult, chartPath?: string): string {
  const m = result.machine;
  const o = result.options;
  const lines = [
    `## ${result.date.slice(0, 16).replace('T', ' ')} UTC: ${result.scenario}${o.quick ? ' (quick)' : ''}, commit ${result.commit.commit}${result.commit.dirty ? ' (uncommitted changes)' : ''}`,
    '',
    `${headline(result)}.`,
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}.` +
      (o.rate > 0 ? ` Fixed-rate phase: ${formatNumber(o.rate)} msg/s for ${o.rateSeconds} s.` : ''),
    '',
    markdownTable(result),
    '',
    ...integrityLines(result).map((l) => `- ${l}`),
    ...memoryLines(result).map((l) => `- ${l}`),
    ...result.notes.map((n) => `- ${n}`),
  ];
  if (result.targets.length > 0) lines.push('', 'Targets:', '', ...targetLines(result).map((l) => `- ${l}`));
  if (chartPath !== undefined) lines.push('', `![${result.scenario}](${chartPath})`);
  return `${lines.join('\n')}\n`;
}

/** Appends an entry to `<dir>/RESULTS.md`, creating it with its header if needed. */
export function appendResults(dir: string, result: ScenarioResult, chartFile?: string): string {
  const file = join(dir, 'RESULTS.md');
  mkdirSync(dir, { recursive: true });
  if (!existsSync(file)) writeFileSync(file, RESULTS_HEADER);
  appendFileSync(file, `\n${resultsEntry(result, chartFile === undefined ? undefined : relative(dirname(file), chartFile))}`);
  return file;
}

/** Writes a result as JSON. */
export function writeJson(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}
