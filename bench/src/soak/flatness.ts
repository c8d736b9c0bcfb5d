import { median } from '../stats.js';

/** One sample of a soak, taken every `--sample-every` (10 s by default). */
export interface SoakSample {
  /** Seconds since the soak started. */
  t: number;
  /** Resident set size of the stage's process, MB. */
  rssMB: number;
  /** Event-loop delay of the stage's process over the last interval: p99 and max, ms. */
  loopP99Ms: number;
  loopMaxMs: number;
  /** Consumer lag of the stage's group (records not yet committed, all partitions). */
  lag: number;
  /** Records the stage took in so far. */
  recordsIn: number;
}

/** How much a figure may grow between the start and the end of a soak and still count as flat. */
export interface FlatBound {
  /** Allowed growth as a share of the early median (0.25: 25%). */
  relative: number;
  /** Allowed growth in the figure's unit regardless (small figures: a lag of 50 vs 20 is noise). */
  absolute: number;
}

/** The verdict on one figure. */
export interface FlatVerdict {
  figure: string;
  /** Median of the early and of the late window (after the warm-up). */
  early: number;
  late: number;
  /** Least-squares slope over the samples after the warm-up, per hour. */
  slopePerHour: number;
  flat: boolean;
  detail: string;
}

/** Default bounds: RSS may grow 10% (or 16 MB), loop p99 and lag may double (or grow 20 ms / 2,000 records). */
export const defaultBounds: { [figure in 'rssMB' | 'loopP99Ms' | 'lag']: FlatBound } = {
  rssMB: { relative: 0.1, absolute: 16 },
  loopP99Ms: { relative: 1, absolute: 20 },
  lag: { relative: 1, absolute: 2000 },
};

/** Least-squares slope of y over x. */
export function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * Whether each figure stayed flat: the samples after the warm-up (the first
 * `warmupShare`, 10% by default) are split in quarters, and the median of the
 * last quarter may exceed that of the first by at most the figure's bound.
 * Medians, not single samples: one GC or one slow interval is not a trend.
 * Fewer than 8 samples after the warm-up: no verdict (every figure not flat,
 * saying so), since a quarter of them says nothing.
 */
export function flatness(samples: readonly SoakSample[], bounds = defaultBounds, warmupShare = 0.1): FlatVerdict[] {
  const skip = Math.ceil(samples.length * warmupShare);
  const kept = samples.slice(skip);
  const q = Math.floor(kept.length / 4);
  return (Object.keys(bounds) as Array<keyof typeof bounds>).map((figure) => {
    const bound = bounds[figure];
    if (q < 2) {
      return { figure, early: NaN, late: NaN, slopePerHour: 0, flat: false, detail: `${kept.length} samples after the warm-up: too few for a verdict (8 or more)` };
    }
    const early = median(kept.slice(0, q).map((s) => s[figure])) ?? NaN;
    const late = median(kept.slice(-q).map((s) => s[figure])) ?? NaN;
    const allowed = early + Math.max(early * bound.relative, bound.absolute);
    const slopePerHour = slope(kept.map((s) => [s.t / 3600, s[figure]] as const));
    // A figure that could not be read (NaN: e.g. lag while the broker did not answer) is not flat.
    const flat = late <= allowed;
    const r = (n: number): string => (Math.round(n * 10) / 10).toString();
    return {
      figure,
      early,
      late,
      slopePerHour,
      flat,
      detail: `median ${r(early)} in the first quarter, ${r(late)} in the last (at most ${r(allowed)} to be flat); slope ${r(slopePerHour)}/h`,
    };
  });
}
