import hdr from 'hdr-histogram-js';

/** An HDR histogram of latencies in microseconds. */
export type LatencyHistogram = hdr.Histogram;

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** A histogram of latencies from 1 µs to 1 hour with 3 significant digits. */
export function createLatencyHistogram(): LatencyHistogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

/** Records one latency in µs (values below 1 µs count as 1 µs: clocks of two processes may differ by less than that). */
export function recordMicros(h: LatencyHistogram, micros: number): void {
  h.recordValue(micros < 1 ? 1 : Math.round(micros));
}

/** Percentiles of a histogram, in ms; undefined when it is empty. */
export function summarizeLatency(h: LatencyHistogram): LatencySummary | undefined {
  if (h.totalCount === 0) return undefined;
  const ms = (us: number): number => us / 1000;
  return {
    count: h.totalCount,
    p50: ms(h.getValueAtPercentile(50)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
    mean: ms(h.mean),
  };
}

/** A histogram as text, to cross a process boundary. */
export function encodeHistogram(h: LatencyHistogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** The histogram {@link encodeHistogram} made. */
export function decodeHistogram(text: string): LatencyHistogram {
  return hdr.decodeFromCompressedBase64(text);
}
