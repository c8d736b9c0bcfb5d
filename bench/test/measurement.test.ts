import { expect } from 'chai';
import { rateSeries, rssGrowth, rssPerBlock, sumSeries } from '../src/measurement.js';
import { expectedHourlyWindows, reading, readingsSpec, stamp, stampSeq, stampTime, stampedTemplate } from '../src/payload.js';
import { maxLeadFor, warmupFor } from '../src/options.js';
import type { WorkerSample } from '../src/worker/protocol.js';

const MB = 2 ** 20;

describe('bench measurement helpers', () => {
  it('computes a counter\'s rate per bucket of time', () => {
    const counter: Array<[number, number]> = [
      [0, 0],
      [1_000_000, 1000],
      [2_000_000, 3000],
    ];
    expect(rateSeries(counter, 0, 2_000_000, 1_000_000)).to.deep.equal([
      [1, 1000],
      [2, 2000],
    ]);
  });

  it('adds sampled counters of several processes', () => {
    const a: Array<[number, number]> = [
      [0, 0],
      [10, 10],
    ];
    const b: Array<[number, number]> = [
      [5, 0],
      [10, 20],
    ];
    expect(sumSeries([a, b])).to.deep.equal([
      [0, 0],
      [5, 5],
      [10, 30],
    ]);
  });

  it('measures RSS growth between the first and the last 100k records, and none for short runs', () => {
    const samples: WorkerSample[] = [];
    for (let i = 0; i <= 100; i++) samples.push({ t: i * 1000, cpuMicros: 0, count: i * 5000, rss: (100 + (i > 80 ? 40 : 0)) * MB });
    expect(rssGrowth(samples, 0, 500_000)! / MB).to.equal(40);
    const flat = samples.map((s) => ({ ...s, rss: 100 * MB }));
    expect(rssGrowth(flat, 0, 500_000)).to.equal(0);
    expect(rssGrowth(samples, 0, 150_000)).to.equal(undefined);
  });

  it('stamps values with a produce time and sequence number the observer reads back', () => {
    const v = stampedTemplate(100);
    stamp(v, 123456.5, 42);
    expect(v.length).to.equal(100);
    expect(stampTime(v)).to.equal(123456.5);
    expect(stampSeq(v)).to.equal(42);
    expect(stampSeq(Buffer.alloc(3))).to.equal(-1);
    expect(() => stampedTemplate(8)).to.throw(RangeError);
  });

  it('knows which hourly windows a run of readings must close, and what they hold', () => {
    const spec = { ...readingsSpec(2, 1), intervalMs: 30 * 60_000 }; // 2 meters, a reading every 30 min
    // 10 readings: rounds 0..4, i.e. 00:00, 00:30, 01:00, 01:30, 02:00 for each meter.
    const w = expectedHourlyWindows(spec, 10);
    expect(w.count).to.equal(4); // hours 0 and 1 of both meters; hour 2 is still open
    expect(w.readings).to.equal(8);
    let kwh = 0;
    for (let i = 0; i < 8; i++) kwh += reading(spec, i).kwh;
    expect(w.kwh).to.be.closeTo(kwh, 1e-9);
  });

  it('sizes the warm-up and the generator\'s lead within the broker\'s retention', () => {
    expect(warmupFor(1_000_000)).to.equal(100_000);
    expect(warmupFor(5_000)).to.equal(1000);
    expect(maxLeadFor(8, 100)).to.equal(20_000);
    // 10 KiB values on 2 partitions: a quarter of 2 x 5 MiB holds ~250 of them.
    expect(maxLeadFor(2, 10_240)).to.be.within(200, 300);
  });

  it('reports the peak RSS of every complete block of 100k records after the warm-up, so growth per 100k shows', () => {
    const MB = 1024 * 1024;
    // Warm-up 50k; one sample every 25k records; RSS rises 10 MB per 100k.
    const samples: WorkerSample[] = Array.from({ length: 17 }, (_, i) => ({ t: i * 1e5, cpuMicros: 0, count: i * 25_000, rss: (100 + Math.floor((i * 25_000) / 100_000) * 10) * MB }));
    // Blocks after 50k: [50k,150k) [150k,250k) [250k,350k) and the unfinished [350k, 400k].
    expect(rssPerBlock(samples, 50_000)).to.deep.equal([110, 120, 130]);
    expect(rssPerBlock(samples.slice(0, 3), 50_000)).to.deep.equal([]);
  });
});
