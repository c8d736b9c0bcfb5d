import cliProgress from 'cli-progress';
import type { Progress } from './harness.js';

/** Shows one measurement's progress: a bar on a terminal, a line at start and end otherwise. */
export interface ProgressView {
  start(label: string, total: number): void;
  update(p: Progress): void;
  stop(summary: string): void;
}

/** A progress view on `stream` (stderr): cli-progress when it is a TTY. */
export function progressView(stream: NodeJS.WriteStream = process.stderr): ProgressView {
  if (!stream.isTTY) {
    return {
      start: (label) => stream.write(`  ${label} ...\n`),
      update: () => {},
      stop: (summary) => stream.write(`  ${summary}\n`),
    };
  }
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(label, total) {
      bar = new cliProgress.SingleBar(
        { stream, format: `  ${label.padEnd(34)} {bar} {percentage}% | {value}/{total} | {rate} msg/s`, hideCursor: true, clearOnComplete: true, barsize: 24 },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { rate: '0' });
    },
    update(p) {
      bar?.update(p.done, { rate: Math.round(p.perSecond).toLocaleString('en-US') });
    },
    stop(summary) {
      bar?.stop();
      bar = undefined;
      stream.write(`  ${summary}\n`);
    },
  };
}
