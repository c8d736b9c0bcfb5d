import { expect } from 'chai';
import { testStage, type StageTestDriver } from '@seda/core';
import stage, { consumptionAverage, type HourlyAverage } from '../src/index.js';

const H = 3_600_000;
const M = 60_000;
const T0 = Date.UTC(2026, 0, 1); // 00:00 UTC
const iso = (ms: number): string => new Date(ms).toISOString();

const reading = (meter: string | null, kwh: unknown, ts: unknown) => ({ key: meter, value: { kwh, ts } });
const averages = (t: StageTestDriver): HourlyAverage[] => t.outputs<string, HourlyAverage>('averages').map((o) => o.value);

describe('consumption-average stage', () => {
  it('emits { meter, windowStart, windowEnd, count, sum, avg } per meter per hour once the watermark passes end + grace (5m)', async () => {
    const t = testStage(stage);
    await t.send([reading('m1', 1, T0 + 10 * M), reading('m1', 2, T0 + 50 * M), reading('m2', 4, T0 + 30 * M)]);
    expect(averages(t)).to.deep.equal([]);
    // 01:04:59.999 is still within the 00:00 windows' grace: nothing closes.
    await t.send(reading('m2', 1, T0 + H + 5 * M - 1));
    expect(averages(t)).to.deep.equal([]);
    // 01:05 = end + grace: both 00:00 windows are final.
    await t.send(reading('m1', 1, T0 + H + 5 * M));
    expect(averages(t)).to.deep.equal([
      { meter: 'm1', windowStart: iso(T0), windowEnd: iso(T0 + H), count: 2, sum: 3, avg: 1.5 },
      { meter: 'm2', windowStart: iso(T0), windowEnd: iso(T0 + H), count: 1, sum: 4, avg: 4 },
    ]);
    expect(t.outputs('averages').map((o) => o.key)).to.deep.equal(['m1', 'm2']);
    await t.close();
  });

  it('puts a reading at exactly hh:00:00.000 in the new hour and one at hh:59:59.999 in the old one', async () => {
    const t = testStage(stage);
    await t.send([reading('m1', 1, T0 + H - 1), reading('m1', 10, T0 + H), reading('m1', 0, T0 + 3 * H)]);
    expect(averages(t).map((a) => [a.windowStart, a.count, a.sum])).to.deep.equal([
      [iso(T0), 1, 1],
      [iso(T0 + H), 1, 10],
    ]);
    await t.close();
  });

  it('accepts a late reading within the grace period into its window; dead-letters one past it with SEDA_WINDOW_LATE', async () => {
    const t = testStage(stage);
    await t.send([reading('m1', 1, T0 + 30 * M), reading('m1', 1, T0 + H + 4 * M)]);
    await t.send(reading('m1', 5, T0 + 59 * M)); // 5 minutes behind the watermark: within grace
    await t.send(reading('m1', 1, T0 + H + 5 * M)); // closes 00:00
    await t.send(reading('m1', 7, T0 + 20 * M)); // its only window is closed
    expect(averages(t)).to.deep.equal([{ meter: 'm1', windowStart: iso(T0), windowEnd: iso(T0 + H), count: 2, sum: 6, avg: 3 }]);
    expect(t.deadLetters().map((d) => [d.code, d.offset])).to.deep.equal([['SEDA_WINDOW_LATE', 4]]);
    await t.close();
  });

  it('reads ts given as ISO-8601 like epoch ms', async () => {
    const t = testStage(stage);
    await t.send([reading('m1', 1, iso(T0 + 10 * M)), reading('m1', 3, T0 + 20 * M), reading('m1', 0, iso(T0 + 2 * H))]);
    expect(averages(t)[0]).to.include({ count: 2, sum: 4, avg: 2 });
    await t.close();
  });

  it('dead-letters malformed readings with their reason and goes on with the partition', async () => {
    const t = testStage(stage);
    await t.send([
      reading('m1', 1, T0),
      reading(null, 1, T0),
      reading('m1', -2, T0),
      reading('m1', 'n/a', T0),
      reading('m1', 1, 'yesterday'),
      reading('m1', 2, T0 + 1),
      reading('m1', 0, T0 + 2 * H),
    ]);
    expect(t.deadLetters().map((d) => [d.offset, d.code, d.stage])).to.deep.equal([
      [1, 'SEDA_READING_NO_METER', 'consumption-average'],
      [2, 'SEDA_READING_KWH_NEGATIVE', 'consumption-average'],
      [3, 'SEDA_READING_KWH_INVALID', 'consumption-average'],
      [4, 'SEDA_READING_TS_INVALID', 'consumption-average'],
    ]);
    expect(averages(t)[0]).to.include({ count: 2, sum: 3 });
    expect(t.offsets()).to.deep.equal({ 0: 7 });
    await t.close();
  });

  it('keeps a watermark per input partition: one partition\'s progress closes none of another\'s windows', async () => {
    const t = testStage(stage, { partitions: 2 });
    await t.send([
      { ...reading('a', 1, T0), partition: 0 },
      { ...reading('b', 1, T0), partition: 1 },
      { ...reading('a', 1, T0 + 3 * H), partition: 0 },
    ]);
    expect(averages(t).map((a) => a.meter)).to.deep.equal(['a']);
    await t.close();
  });

  it('hopping windows (size 1h, advance 30m): a reading counts in both windows that contain it', async () => {
    const t = testStage(consumptionAverage({ size: '1h', advance: '30m', grace: '0ms' }, 'hopping-average'));
    await t.send([reading('m1', 1, T0 + 10 * M), reading('m1', 2, T0 + 40 * M), reading('m1', 4, T0 + 70 * M), reading('m1', 0, T0 + 5 * H)]);
    const got = averages(t).filter((a) => a.count > 0 && a.sum > 0).map((a) => [a.windowStart, a.count, a.sum]);
    expect(got).to.deep.equal([
      [iso(T0 - 30 * M), 1, 1],
      [iso(T0), 2, 3],
      [iso(T0 + 30 * M), 2, 6],
      [iso(T0 + 60 * M), 1, 4],
    ]);
    await t.close();
  });

  it('keeps closed windows in state for the retention (1 day), then drops them', async () => {
    const t = testStage(stage);
    await t.send([reading('m1', 1, T0), reading('m1', 1, T0 + 2 * H)]);
    const closed = async (): Promise<number[]> => (await t.windows(0, 'm1')).filter((w) => w.final).map((w) => w.start);
    expect(await closed()).to.deep.equal([T0]);
    await t.send(reading('m1', 1, T0 + H + 24 * H - 1)); // the 00:00 window ended 1 day ago minus 1 ms
    expect(await closed()).to.include(T0);
    await t.send(reading('m1', 1, T0 + H + 24 * H));
    expect(await closed()).to.not.include(T0);
    await t.close();
  });
});
