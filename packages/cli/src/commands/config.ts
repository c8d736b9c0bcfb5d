import { Command } from 'commander';
import { redactValue, runConfigFields, type ResolvedConfig } from '@seda/runtime';
import { addRunOptions, runConfig, type RunFlags } from './run.js';

/** Rows of `seda config --print`: every key (map entries one per line) with its value and where it came from. */
export function configRows(config: ResolvedConfig): Array<{ key: string; value: unknown; source: string; origin: string }> {
  const values = redactValue(config.values) as { [key: string]: unknown };
  const rows: Array<{ key: string; value: unknown; source: string; origin: string }> = [];
  for (const field of runConfigFields) {
    const value = values[field.key];
    if (field.kind === 'map') {
      const entries = Object.entries((value ?? {}) as object);
      if (entries.length === 0) rows.push({ key: field.key, value: `(${field.defaultText ?? 'none'})`, source: 'default', origin: 'default' });
      for (const [k, v] of entries) {
        const where = config.sources[`${field.key}.${k}`];
        rows.push({ key: `${field.key}.${k}`, value: v, source: where.source, origin: where.origin });
      }
      continue;
    }
    const where = config.sources[field.key];
    if (value === undefined) rows.push({ key: field.key, value: `(${field.defaultText ?? 'unset'})`, source: 'default', origin: 'default' });
    else rows.push({ key: field.key, value, source: where.source, origin: where.origin });
  }
  return rows;
}

/** `seda config --print [run flags]`: the effective configuration of `seda run` and where each value came from. */
export function registerConfigCommand(program: Command): void {
  const cmd = program
    .command('config')
    .description('print the effective configuration `seda run` would use with these flags, SEDA_* variables and --config file, and where each value came from (secrets redacted)')
    .option('--print', 'print the configuration (the default)')
    .option('--json', 'print JSON: { key: { value, source, origin } }');
  addRunOptions(cmd).action((flags: RunFlags & { json?: boolean }) => {
    const rows = configRows(runConfig(flags));
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(Object.fromEntries(rows.map((r) => [r.key, { value: r.value, source: r.source, origin: r.origin }])))}\n`);
      return;
    }
    const shown = rows.map((r) => [r.key, typeof r.value === 'string' ? r.value : JSON.stringify(r.value), r.source === 'default' ? 'default' : `${r.source} ${r.origin}`]);
    const widths = [0, 1].map((i) => Math.max(...shown.map((r) => r[i].length), i === 0 ? 3 : 5));
    process.stdout.write(`${'key'.padEnd(widths[0])}  ${'value'.padEnd(widths[1])}  from\n`);
    for (const r of shown) process.stdout.write(`${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2]}\n`);
  });
}
