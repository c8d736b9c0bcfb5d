/**
 * A small SVG chart writer: a line chart (throughput over time) and grouped
 * bars (latency percentiles), enough for the bench's one figure per scenario.
 * No dependency: plain strings, escaped text, "nice" axis ticks.
 */

/** Colours of systems, in column order. */
export const palette = ['#4e79a7', '#e15759', '#59a14f', '#f28e2b', '#76b7b2', '#b07aa1', '#9c755f', '#edc948'];

/** A named line of points. */
export interface LineSeries {
  name: string;
  color: string;
  points: ReadonlyArray<readonly [number, number]>;
}

/** One system's bars: a value per category (undefined: not measured). */
export interface BarSeries {
  name: string;
  color: string;
  values: ReadonlyArray<number | undefined>;
}

/** Where a panel goes and what it says. */
export interface Panel {
  x: number;
  y: number;
  width: number;
  height: number;
  title: string;
  xLabel?: string;
  yLabel: string;
}

/** Escapes text for SVG. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Tick values from 0 covering `max` with a 1/2/5 x 10^k step, about `count` of them. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Math.round(v / step) * step);
  return ticks;
}

/** A tick label: 12k, 1.5M, 0.25. */
export function tickLabel(v: number): string {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toFixed(2)}k`;
  return `${+v.toFixed(2)}`;
}

const r1 = (n: number): string => (Math.round(n * 10) / 10).toString();

/** Title, horizontal grid lines with tick labels, axes and axis labels; `scale` maps a value to 0..1 of the height. */
function frame(p: Panel, yTicks: number[], scale: (v: number) => number): { inner: { x: number; y: number; w: number; h: number }; svg: string[] } {
  const inner = { x: p.x + 56, y: p.y + 28, w: p.width - 68, h: p.height - 64 };
  const svg: string[] = [`<text x="${r1(p.x + p.width / 2)}" y="${r1(p.y + 16)}" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(p.title)}</text>`];
  for (const t of yTicks) {
    const y = inner.y + inner.h - scale(t) * inner.h;
    svg.push(`<line x1="${r1(inner.x)}" y1="${r1(y)}" x2="${r1(inner.x + inner.w)}" y2="${r1(y)}" stroke="#e0e0e0"/>`);
    svg.push(`<text x="${r1(inner.x - 6)}" y="${r1(y + 4)}" text-anchor="end" font-size="11">${tickLabel(t)}</text>`);
  }
  svg.push(`<line x1="${r1(inner.x)}" y1="${r1(inner.y + inner.h)}" x2="${r1(inner.x + inner.w)}" y2="${r1(inner.y + inner.h)}" stroke="#333"/>`);
  svg.push(`<line x1="${r1(inner.x)}" y1="${r1(inner.y)}" x2="${r1(inner.x)}" y2="${r1(inner.y + inner.h)}" stroke="#333"/>`);
  const cy = inner.y + inner.h / 2;
  svg.push(`<text x="${r1(p.x + 12)}" y="${r1(cy)}" text-anchor="middle" font-size="11" transform="rotate(-90 ${r1(p.x + 12)} ${r1(cy)})">${escapeXml(p.yLabel)}</text>`);
  if (p.xLabel) svg.push(`<text x="${r1(inner.x + inner.w / 2)}" y="${r1(p.y + p.height - 4)}" text-anchor="middle" font-size="11">${escapeXml(p.xLabel)}</text>`);
  return { inner, svg };
}

/** A line chart panel: one polyline per series, a legend at the top left. */
export function lineChart(p: Panel, series: LineSeries[]): string {
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(1e-9, ...all.map(([x]) => x));
  const yTicks = niceTicks(Math.max(0, ...all.map(([, y]) => y)));
  const yMax = yTicks[yTicks.length - 1] || 1;
  const { inner, svg } = frame(p, yTicks, (v) => v / yMax);
  for (const t of niceTicks(xMax, 6)) {
    if (t > xMax) break;
    const x = inner.x + (t / xMax) * inner.w;
    svg.push(`<text x="${r1(x)}" y="${r1(inner.y + inner.h + 14)}" text-anchor="middle" font-size="11">${tickLabel(t)}</text>`);
  }
  for (const s of series) {
    if (s.points.length === 0) continue;
    const pts = s.points.map(([x, y]) => `${r1(inner.x + (x / xMax) * inner.w)},${r1(inner.y + inner.h - (Math.max(0, y) / yMax) * inner.h)}`).join(' ');
    svg.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts}"><title>${escapeXml(s.name)}</title></polyline>`);
  }
  svg.push(legend(inner, series));
  return `<g>${svg.join('')}</g>`;
}

/** Powers of ten from below `min` to above `max`: ticks of a log axis. */
export function logTicks(min: number, max: number): number[] {
  const lo = Math.floor(Math.log10(Math.max(min, 1e-3)));
  const hi = Math.ceil(Math.log10(Math.max(max, 1e-3)));
  const ticks: number[] = [];
  for (let e = lo; e <= Math.max(hi, lo + 1); e++) ticks.push(10 ** e);
  return ticks;
}

/**
 * A grouped bar chart panel: categories along x, one bar per series in each.
 * When values span more than 20x, the y axis is logarithmic, so a small bar
 * next to a huge one stays readable.
 */
export function barChart(p: Panel, categories: string[], series: BarSeries[]): string {
  const values = series.flatMap((s) => s.values.filter((v): v is number => v !== undefined && v > 0));
  const min = Math.min(...values);
  const max = Math.max(0, ...values);
  let yTicks: number[];
  let scale: (v: number) => number;
  let yLabel = p.yLabel;
  if (values.length > 1 && max / min > 20) {
    yTicks = logTicks(min, max);
    const lo = Math.log10(yTicks[0]);
    const hi = Math.log10(yTicks[yTicks.length - 1]);
    scale = (v) => Math.min(1, Math.max(0, (Math.log10(v) - lo) / (hi - lo)));
    yLabel = `${p.yLabel} (log scale)`;
  } else {
    yTicks = niceTicks(max);
    const yMax = yTicks[yTicks.length - 1] || 1;
    scale = (v) => v / yMax;
  }
  const { inner, svg } = frame({ ...p, yLabel }, yTicks, scale);
  const groupW = inner.w / Math.max(1, categories.length);
  const barW = (groupW * 0.8) / Math.max(1, series.length);
  categories.forEach((c, ci) => {
    const gx = inner.x + ci * groupW + groupW * 0.1;
    svg.push(`<text x="${r1(inner.x + (ci + 0.5) * groupW)}" y="${r1(inner.y + inner.h + 14)}" text-anchor="middle" font-size="11">${escapeXml(c)}</text>`);
    series.forEach((s, si) => {
      const v = s.values[ci];
      if (v === undefined || v <= 0) return;
      const h = scale(v) * inner.h;
      svg.push(
        `<rect x="${r1(gx + si * barW)}" y="${r1(inner.y + inner.h - h)}" width="${r1(Math.max(1, barW - 2))}" height="${r1(h)}" fill="${s.color}"><title>${escapeXml(`${s.name} ${c}: ${v.toFixed(1)}`)}</title></rect>`,
      );
    });
  });
  svg.push(legend(inner, series));
  return `<g>${svg.join('')}</g>`;
}

/** Coloured squares with names at the top left of a panel. */
function legend(inner: { x: number; y: number }, series: Array<{ name: string; color: string }>): string {
  return series
    .map((s, i) => {
      const ly = inner.y + 6 + i * 15;
      return `<rect x="${r1(inner.x + 8)}" y="${r1(ly)}" width="10" height="10" fill="${s.color}"/><text x="${r1(inner.x + 22)}" y="${r1(ly + 9)}" font-size="11">${escapeXml(s.name)}</text>`;
    })
    .join('');
}

/** A whole SVG document of panels side by side. */
export function svgDocument(width: number, height: number, title: string, panels: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
    ...panels,
    '</svg>',
    '',
  ].join('\n');
}
