import { expect } from 'chai';
import { flatness, slope, type SoakSample } from '../src/soak/flatness.js';
import { parseDuration } from '../src/soak/soak-cli.js';

/** 180 samples 10 s apart (30 min), each figure made by `f(i)`. */
function series(f: { rss?: (i: number) => number; loop?: (i: number) => number; lag?: (i: number) => number }): SoakSample[] {
  return Array.from({ length: 180 }, (_, i) => ({
    t: i * 10,
    rssMB: f.rss?.(i) ?? 120 + (i % 7),
    loopP99Ms: f.loop?.(i) ?? 12 + (i % 3),
    loopMaxMs: 40,
    lag: f.lag?.(i) ?? 300 + ((i * 37) % 200),
    recordsIn: i * 10_000,
  }));
}
const flatOf = (samples: SoakSample[]): { [figure: string]: boolean } => Object.fromEntries(flatness(samples).map((v) => [v.figure, v.flat]));

describe('soak: flatness verdict', () => {
  it('calls noisy but level figures flat', () => {
    expect(flatOf(series({}))).to.deep.equal({ rssMB: true, loopP99Ms: true, lag: true });
  });

  it('calls RSS growing 1 MB a minute (a leak) not flat, and reports its slope per hour', () => {
    const v = flatness(series({ rss: (i) => 120 + i / 6 })).find((x) => x.figure === 'rssMB')!;
    expect(v.flat).to.equal(false);
    expect(v.slopePerHour).to.be.closeTo(60, 0.5);
    expect(v.detail).to.match(/first quarter/);
  });

  it('calls a lag that keeps growing (input faster than the sink) not flat, RSS and loop still flat', () => {
    expect(flatOf(series({ lag: (i) => 100 + i * 200 }))).to.deep.equal({ rssMB: true, loopP99Ms: true, lag: false });
  });

  it('ignores the warm-up and single spikes (medians of quarters, not samples)', () => {
    const samples = series({ rss: (i) => (i < 10 ? 40 + i * 8 : 125), loop: (i) => (i === 170 ? 900 : 12) });
    expect(flatOf(samples)).to.deep.equal({ rssMB: true, loopP99Ms: true, lag: true });
  });

  it('gives no verdict on too few samples, saying why', () => {
    const v = flatness(series({}).slice(0, 6));
    expect(v.every((x) => !x.flat)).to.equal(true);
    expect(v[0].detail).to.match(/too few/);
  });

  it('a figure that could not be read at the end (NaN) is not flat', () => {
    expect(flatOf(series({ lag: (i) => (i > 100 ? Number.NaN : 300) })).lag).to.equal(false);
  });

  it('slope is the least-squares slope', () => {
    expect(slope([[0, 1], [1, 3], [2, 5]])).to.equal(2);
    expect(slope([[0, 1]])).to.equal(0);
  });

  it('parses durations and names the flag of a bad one', () => {
    expect(parseDuration('30m', '--duration')).to.equal(1_800_000);
    expect(parseDuration('90s', '--duration')).to.equal(90_000);
    expect(parseDuration('1500ms', '--duration')).to.equal(1500);
    expect(parseDuration('2', '--duration')).to.equal(2000);
    expect(() => parseDuration('soon', '--duration')).to.throw(/--duration must be a duration/);
  });
});
