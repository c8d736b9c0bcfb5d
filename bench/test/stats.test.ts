import { expect } from 'chai';
import { interpolate, median, perSecond, ratio, timeAtCount } from '../src/stats.js';
import { createLatencyHistogram, decodeHistogram, encodeHistogram, recordMicros, summarizeLatency } from '../src/histogram.js';
import { rotate } from '../src/runner.js';

describe('bench statistics', () => {
  it('takes the median of runs: the middle value, the mean of the two middle ones, missing values ignored', () => {
    expect(median([3, 1, 2])).to.equal(2);
    expect(median([4, 1, 3, 2])).to.equal(2.5);
    expect(median([5, undefined, Number.NaN, 1, 3])).to.equal(3);
    expect(median([])).to.equal(undefined);
  });

  it('divides by the baseline, and has no ratio without one', () => {
    expect(ratio(90, 100)).to.equal(0.9);
    expect(ratio(90, 0)).to.equal(undefined);
    expect(ratio(undefined, 100)).to.equal(undefined);
    expect(ratio(90, undefined)).to.equal(undefined);
  });

  it('turns a count over microseconds into a rate', () => {
    expect(perSecond(500, 250_000)).to.equal(2000);
    expect(perSecond(500, 0)).to.equal(undefined);
  });

  it('interpolates sampled series and finds when a counter reached a value', () => {
    const s: Array<[number, number]> = [
      [0, 0],
      [10, 100],
      [20, 100],
      [30, 400],
    ];
    expect(interpolate(s, 5)).to.equal(50);
    expect(interpolate(s, -1)).to.equal(0);
    expect(interpolate(s, 99)).to.equal(400);
    expect(timeAtCount(s, 250)).to.equal(25);
    expect(timeAtCount(s, 100)).to.equal(10);
    expect(timeAtCount(s, 401)).to.equal(undefined);
  });

  it('reports latency percentiles in ms from a histogram of µs that survives encoding across processes', () => {
    const h = createLatencyHistogram();
    for (let i = 1; i <= 1000; i++) recordMicros(h, i * 1000); // 1..1000 ms
    recordMicros(h, 0.2); // below 1 µs counts as 1 µs
    const back = summarizeLatency(decodeHistogram(encodeHistogram(h)))!;
    expect(back.count).to.equal(1001);
    expect(back.p50).to.be.closeTo(500, 1);
    expect(back.p99).to.be.closeTo(990, 1);
    expect(back.p999).to.be.closeTo(999, 1);
    expect(back.max).to.be.closeTo(1000, 1);
    expect(summarizeLatency(createLatencyHistogram())).to.equal(undefined);
  });

  it('rotates the order of systems from run to run', () => {
    expect(rotate(['a', 'b', 'c'], 0)).to.deep.equal(['a', 'b', 'c']);
    expect(rotate(['a', 'b', 'c'], 1)).to.deep.equal(['b', 'c', 'a']);
    expect(rotate(['a', 'b', 'c'], 5)).to.deep.equal(['c', 'a', 'b']);
  });
});
