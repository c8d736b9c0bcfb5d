import cliProgress from 'cli-progress';
import type { Sample, StageStats } from './monitor.js';

/** The live view of the demo: bars on a terminal, plain progress lines otherwise. */
export interface DemoView {
  /** Shows a new sample; `phase` says what the demo is doing. */
  update(sample: Sample, phase: string, kills: number): void;
  /** Prints one line above the view (an event: a kill, a restart, a failure). */
  event(message: string): void;
  /** Ends the live part (before the summary). */
  stop(): void;
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const rate = (n: number): string => `${int(n)}/s`;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

const clock = (ms: number): string => `${Math.floor(ms / 60_000)}:${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}`;

function label(s: StageStats): string {
  return s.instances > 1 ? `${s.name} x${s.instances}` : s.name;
}

/** The figures of one row, without the bar; `compact` for terminals narrower than 130 columns. */
function figures(s: StageStats, compact: boolean): string {
  if (s.kind === 'source') return `produced ${int(s.out).padStart(8)} ${rate(s.outRate).padStart(8)}`;
  const parts = [
    `in ${int(s.in).padStart(8)} ${rate(s.inRate).padStart(8)}`,
    compact ? `out ${int(s.out).padStart(7)}` : `out ${int(s.out).padStart(8)} ${rate(s.outRate).padStart(8)}`,
    `lag ${int(s.lag).padStart(compact ? 5 : 6)}`,
    `dlq ${int(s.dlq).padStart(3)}`,
  ];
  if (s.stateBytes !== undefined) parts.push(`state ${formatBytes(s.stateBytes).padStart(9)}`);
  return parts.join(compact ? ' ' : '  ');
}

function status(s: StageStats): string {
  return s.restarts > 0 ? `${s.status} (${s.restarts} restart${s.restarts > 1 ? 's' : ''})` : s.status;
}

/** Bars drawn by cli-progress (a multi-bar redrawn in place), one per process of the pipeline. */
class TtyView implements DemoView {
  readonly #compact = (process.stdout.columns ?? 80) < 130;
  readonly #bars = new cliProgress.MultiBar(
    {
      format: '{head}{bar}{tail}',
      barsize: this.#compact ? 8 : 16,
      hideCursor: true,
      clearOnComplete: false,
      gracefulExit: false,
      emptyOnZero: true,
      autopadding: false,
      fps: 4,
      // Every frame redrawn: lines logged above the bars shift them down, and a bar whose
      // figures did not change would otherwise be left where it was.
      forceRedraw: true,
      stream: process.stdout,
    },
    cliProgress.Presets.shades_classic,
  );
  readonly #header: cliProgress.SingleBar;
  readonly #rows = new Map<string, cliProgress.SingleBar>();
  readonly #started = Date.now();
  readonly #expected: number;

  constructor(expectedReadings: number, names: string[]) {
    this.#expected = expectedReadings;
    this.#header = this.#bars.create(1, 0, { head: 'seda demo: starting', tail: '' }, { format: '{head}' });
    // One row per process, in pipeline order, before any of them runs.
    for (const name of names) this.#rows.set(name, this.#bars.create(1, 0, { head: ` ${name.padEnd(22)} `, tail: '  waiting' }));
  }

  update(sample: Sample, phase: string, kills: number): void {
    const elapsed = clock(Date.now() - this.#started);
    const loss = sample.retentionLoss.length > 0 ? `  RETENTION LOSS on ${[...new Set(sample.retentionLoss.map((l) => l.topic))].join(', ')}` : '';
    this.#header.update(0, { head: `seda demo  ${elapsed}  ${phase}${kills > 0 ? `  (${kills} kill${kills > 1 ? 's' : ''})` : ''}${loss}` });
    for (const s of sample.stages) {
      let bar = this.#rows.get(s.name);
      const total = Math.max(1, s.kind === 'source' ? Math.max(this.#expected, s.out) : s.available);
      const value = Math.min(total, s.kind === 'source' ? s.out : s.in);
      const payload = { head: ` ${label(s).padEnd(22)} `, tail: ` ${figures(s, this.#compact)} ${status(s)}` };
      if (bar === undefined) this.#rows.set(s.name, (bar = this.#bars.create(total, value, payload)));
      else {
        bar.setTotal(total);
        bar.update(value, payload);
      }
    }
  }

  event(message: string): void {
    this.#bars.log(`${clock(Date.now() - this.#started)}  ${message}\n`);
  }

  stop(): void {
    this.#bars.stop();
  }
}

/** Without a terminal (CI, a pipe): one progress line every few seconds, events as they come. */
class PlainView implements DemoView {
  readonly #started = Date.now();
  readonly #everyMs: number;
  #lastLine = 0;

  constructor(everyMs: number) {
    this.#everyMs = everyMs;
  }

  update(sample: Sample, phase: string, kills: number): void {
    const now = Date.now();
    if (now - this.#lastLine < this.#everyMs) return;
    this.#lastLine = now;
    const parts = sample.stages.map((s) =>
      s.kind === 'source'
        ? `${s.name} ${int(s.out)} (${rate(s.outRate)})`
        : `${label(s)} in ${int(s.in)} lag ${int(s.lag)} dlq ${s.dlq}${s.status === 'running' ? '' : ` ${s.status}`}`,
    );
    const extra = `${kills > 0 ? ` kills ${kills}` : ''}${sample.retentionLoss.length > 0 ? ' RETENTION LOSS' : ''}`;
    process.stdout.write(`[${clock(now - this.#started).padStart(5)}] ${phase}${extra} | ${parts.join(' | ')}\n`);
  }

  event(message: string): void {
    process.stdout.write(`[${clock(Date.now() - this.#started).padStart(5)}] ${message}\n`);
  }

  stop(): void {}
}

/** The view for this terminal: bars when stdout is a TTY, else plain lines every `plainEveryMs`. */
export function createView(tty: boolean, expectedReadings: number, names: string[], plainEveryMs = 5000): DemoView {
  return tty ? new TtyView(expectedReadings, names) : new PlainView(plainEveryMs);
}
