import { lineChart, palette, svgDocument } from '../report/svg.js';
import type { SoakResult } from './run-soak.js';

/** The soak's chart: RSS, event-loop delay (p99 and max) and consumer lag over time, one panel each. */
export function soakChart(r: SoakResult): string {
  const at = (pick: (s: SoakResult['samples'][number]) => number): Array<[number, number]> =>
    r.samples.filter((s) => Number.isFinite(pick(s))).map((s) => [s.t / 60, pick(s)]);
  const panel = (x: number, title: string, yLabel: string, series: Array<{ name: string; points: Array<[number, number]> }>): string =>
    lineChart({ x, y: 30, width: 400, height: 330, title, xLabel: 'minutes', yLabel }, series.map((s, i) => ({ ...s, color: palette[i % palette.length] })));
  const verdict = (figure: string): string => (r.verdicts.find((v) => v.figure === figure)?.flat ? 'flat' : 'NOT flat');
  const panels = [
    panel(0, `RSS (${verdict('rssMB')})`, 'MB', [{ name: 'stage RSS', points: at((s) => s.rssMB) }]),
    panel(400, `event-loop delay (p99 ${verdict('loopP99Ms')})`, 'ms', [
      { name: 'p99 per interval', points: at((s) => s.loopP99Ms) },
      { name: 'max per interval', points: at((s) => s.loopMaxMs) },
    ]),
    panel(800, `consumer lag (${verdict('lag')})`, 'records', [{ name: 'lag, all partitions', points: at((s) => s.lag) }]),
  ];
  const o = r.options;
  return svgDocument(1200, 370, `seda bench soak: ${o.rate}/s into a ${o.writeMs} ms/record sink, ${Math.round(o.durationSeconds / 60)} min (${r.date.slice(0, 10)}, ${r.commit.commit})`, panels);
}
