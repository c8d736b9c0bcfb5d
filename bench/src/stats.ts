/** Small statistics the runner reports with: medians of runs, ratios, rates. */

/** The median of finite numbers (mean of the two middle ones for an even count); undefined when there are none. */
export function median(values: ReadonlyArray<number | undefined>): number | undefined {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** `value / baseline`, or undefined when either is missing or the baseline is 0. */
export function ratio(value: number | undefined, baseline: number | undefined): number | undefined {
  if (value === undefined || baseline === undefined || !Number.isFinite(value) || !Number.isFinite(baseline) || baseline === 0) return undefined;
  return value / baseline;
}

/** Items per second over `micros` microseconds; undefined for an empty interval. */
export function perSecond(count: number, micros: number): number | undefined {
  return micros > 0 ? (count * 1e6) / micros : undefined;
}

/**
 * Linear interpolation of a sampled series at time `t`: samples are
 * `[time, value]` in time order; before the first or after the last sample
 * the nearest value is returned.
 */
export function interpolate(samples: ReadonlyArray<readonly [number, number]>, t: number): number | undefined {
  if (samples.length === 0) return undefined;
  if (t <= samples[0][0]) return samples[0][1];
  const last = samples[samples.length - 1];
  if (t >= last[0]) return last[1];
  let lo = 0;
  let hi = samples.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (samples[mid][0] <= t) lo = mid;
    else hi = mid;
  }
  const [t0, v0] = samples[lo];
  const [t1, v1] = samples[hi];
  return t1 === t0 ? v1 : v0 + ((v1 - v0) * (t - t0)) / (t1 - t0);
}

/** The first time a non-decreasing sampled counter reaches `value` (interpolated); undefined if it never does. */
export function timeAtCount(samples: ReadonlyArray<readonly [number, number]>, value: number): number | undefined {
  for (let i = 0; i < samples.length; i++) {
    const [t, v] = samples[i];
    if (v >= value) {
      if (i === 0) return t;
      const [tp, vp] = samples[i - 1];
      return v === vp ? t : tp + ((t - tp) * (value - vp)) / (v - vp);
    }
  }
  return undefined;
}
