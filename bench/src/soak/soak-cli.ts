import { Command } from 'commander';
import { benchError } from '../errors.js';
import { runSoak, soakLines } from './run-soak.js';
import { parseCommand } from '../parse-command.js';

/** Parses a duration: `30m`, `90s`, `1h`, `1500ms` or a number of seconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) throw benchError('SEDA_BENCH_OPTIONS', `${flag} must be a duration such as 30m, 90s, 1h or 1500ms (got "${text}")`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
  return Number(m[1]) * unit;
}

const positive = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw benchError('SEDA_BENCH_OPTIONS', `${flag} must be a number above 0 (got "${v}")`);
  return n;
};

/**
 * `seda bench soak`: a long run with steady input into a deliberately slow
 * sink, sampling RSS, event-loop delay and consumer lag; exit code 1 when a
 * figure did not stay flat or the run had errors.
 */
export async function runSoakCli(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command('seda bench soak')
    .description('soak: steady input into a slow sink stage for --duration; samples the stage\'s RSS, event-loop delay and consumer lag and says whether each stayed flat; writes results/soak.json, results/soak.svg and a RESULTS.md entry')
    .option('--duration <time>', 'how long the input flows: 30m, 90s, 1h', '30m')
    .option('--sample-every <time>', 'sampling interval', '10s')
    .option('--rate <n>', 'input records per second', positive('--rate'), 1000)
    .option('--write-ms <ms>', 'how long each simulated external write of the slow sink takes', positive('--write-ms'), 2)
    .option('--out <dir>', 'where RESULTS.md and results/soak.* go (default: the bench package)')
    .option('--no-save', 'print the verdict only')
    .exitOverride()
    .action(async (flags: { duration: string; sampleEvery: string; rate: number; writeMs: number; out?: string; save: boolean }) => {
      const durationMs = parseDuration(flags.duration, '--duration');
      const sampleEveryMs = parseDuration(flags.sampleEvery, '--sample-every');
      if (durationMs < sampleEveryMs * 8) throw benchError('SEDA_BENCH_OPTIONS', `--duration (${flags.duration}) must be at least 8 sampling intervals (--sample-every ${flags.sampleEvery}) for a verdict`);
      const r = await runSoak({
        durationMs,
        sampleEveryMs,
        rate: flags.rate,
        writeMs: flags.writeMs,
        out: flags.out,
        save: flags.save,
        onSample: (s) => process.stderr.write(`soak ${s.t} s: RSS ${s.rssMB.toFixed(1)} MB, loop p99 ${s.loopP99Ms.toFixed(1)} ms (max ${s.loopMaxMs.toFixed(1)}), lag ${s.lag}, in ${s.recordsIn}\n`),
      });
      process.stdout.write(`${soakLines(r).join('\n')}\n`);
      if (r.errors.length > 0 || r.verdicts.some((v) => !v.flat)) exitCode = 1;
    });
  return (await parseCommand(program, argv)) ?? exitCode;
}
