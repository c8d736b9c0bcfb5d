import type { ScenarioResult } from '../results.js';
import { formatNumber } from './format.js';
import { barChart, lineChart, palette, svgDocument, type BarSeries, type LineSeries } from './svg.js';

/**
 * The chart of a scenario: throughput over time of each system (its first
 * full-speed run), and its latency percentiles at the fixed rate and at full
 * speed where they were measured.
 */
export function scenarioChart(result: ScenarioResult): string {
  const color = (i: number): string => palette[i % palette.length];
  const lines: LineSeries[] = result.systems.map((s, i) => ({
    name: s.label,
    color: color(i),
    points: s.runs.find((m) => m.phase === 'throughput' && m.series.length > 0)?.series ?? [],
  }));
  const cats = ['p50', 'p99', 'p99.9'];
  const rateBars: BarSeries[] = result.systems
    .map((s, i) => ({ name: s.label, color: color(i), values: [s.figures.rateP50, s.figures.rateP99, s.figures.rateP999] }))
    .filter((b) => b.values.some((v) => v !== undefined));
  const fullBars: BarSeries[] = result.systems
    .map((s, i) => ({ name: s.label, color: color(i), values: [s.figures.p50, s.figures.p99, s.figures.p999] }))
    .filter((b) => b.values.some((v) => v !== undefined));
  const panels = [lineChart({ x: 0, y: 30, width: 480, height: 330, title: 'throughput over time (full speed)', xLabel: 'seconds', yLabel: 'messages / s' }, lines)];
  let x = 480;
  if (rateBars.length > 0) {
    panels.push(barChart({ x, y: 30, width: 360, height: 330, title: `latency @ ${formatNumber(result.options.rate)} msg/s`, yLabel: 'ms' }, cats, rateBars));
    x += 360;
  }
  if (fullBars.length > 0) {
    panels.push(barChart({ x, y: 30, width: 360, height: 330, title: 'latency at full speed', yLabel: 'ms' }, cats, fullBars));
    x += 360;
  }
  const when = `${result.date.slice(0, 10)}, ${result.commit.commit}${result.options.quick ? ', quick' : ''}`;
  return svgDocument(x, 370, `seda bench ${result.scenario} (${when})`, panels);
}
