import { expect } from 'chai';
import { runChecks, type Check, type RunFacts } from '../src/checks.js';
import type { ReadBack } from '../src/read-topics.js';
import { groundTruth, isPeakUtc, judge } from '../src/truth.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 5);
const tariff = { peakStart: '07:00', peakEnd: '23:00', peakPrice: 0.3, offPeakPrice: 0.15 };

type Topics = Map<string, ReadBack[]>;

/** Kafka record timestamps (wall time) of the readings: offset o of a partition is stamped W0 + o s. */
const W0 = Date.UTC(2026, 5, 1, 12);
const S = 1000;

const rec = (topic: string, partition: number, offset: number, key: string | null, value: unknown, headers: { [k: string]: string } = {}, timestamp = W0 + offset * S): ReadBack => ({
  topic,
  partition,
  offset,
  key,
  value: value === null ? null : typeof value === 'string' ? value : JSON.stringify(value),
  timestamp,
  headers,
});

/**
 * The tariffs table of the consistent run: meter a on 0.2 before any reading,
 * changed to 0.4 stamped exactly at a's second reading (so it applies to it:
 * at or before), and written on a's partition. b has none (time-of-day).
 */
const tariffRecords = (): ReadBack[] => [rec('tariffs', 0, 0, 'a', { price: 0.2 }, {}, W0 - S), rec('tariffs', 0, 1, 'a', { price: 0.4 }, {}, W0 + S)];
/** a's price by its reading's record timestamp, written out independently of truth.ts. */
const priceOfA = (timestamp: number): number => (timestamp >= W0 + S ? 0.4 : 0.2);

/**
 * A small, consistent run: meters a (partition 0) and b (partition 1), readings
 * across three hours (so the first hour of each closes), one malformed reading,
 * and the outputs correct stages would have written.
 */
function consistentRun(): Topics {
  const readings: ReadBack[] = [];
  const add = (p: number, key: string | null, value: unknown): void => {
    readings.push(rec('electric-readings', p, readings.filter((r) => r.partition === p).length, key, value));
  };
  add(0, 'a', { kwh: 0.5, ts: T0 + 6 * H + 59 * 60_000 }); // 06:59 off-peak
  add(0, 'a', { kwh: 0.25, ts: new Date(T0 + 7 * H).toISOString() }); // 07:00 peak
  add(0, 'a', { kwh: -1, ts: T0 + 7 * H + 60_000 }); // malformed
  add(0, 'a', { kwh: 0.125, ts: T0 + 8 * H + 10 * 60_000 }); // 08:10: closes 06:00 and 07:00 (grace 5m)
  add(1, 'b', { kwh: 1, ts: T0 + 7 * H + 30 * 60_000 });
  add(1, 'b', { kwh: 2, ts: T0 + 9 * H });
  const good = readings.filter((r) => judge(r).ok);
  const bad = readings.filter((r) => !judge(r).ok);
  const audit = good.map((r, i) => {
    const v = JSON.parse(r.value!);
    return rec('audit-log', 0, i, r.key, { topic: 'electric-readings', partition: r.partition, offset: r.offset, meter: r.key, reading: v });
  });
  const dlq = (topic: string, stage: string): ReadBack[] =>
    bad.map((r, i) =>
      rec(topic, 0, i, r.key, r.value, { 'seda.dlq.stage': stage, 'seda.dlq.code': 'SEDA_READING_KWH_NEGATIVE', 'seda.dlq.partition': String(r.partition), 'seda.dlq.offset': String(r.offset) }),
    );
  const accounts = new Map<string, { readings: number; kwh: number; peakKwh: number; cost: number }>();
  const bills = good.map((r, i) => {
    const v = JSON.parse(r.value!) as { kwh: number; ts: number | string };
    const ts = typeof v.ts === 'string' ? Date.parse(v.ts) : v.ts;
    const a = accounts.get(r.key!) ?? { readings: 0, kwh: 0, peakKwh: 0, cost: 0 };
    const peak = isPeakUtc(ts, tariff);
    const price = r.key === 'a' ? priceOfA(r.timestamp) : peak ? 0.3 : 0.15;
    const next = { readings: a.readings + 1, kwh: a.kwh + v.kwh, peakKwh: a.peakKwh + (peak ? v.kwh : 0), cost: a.cost + v.kwh * price };
    accounts.set(r.key!, next);
    return rec('bills', 0, i, r.key, { meter: r.key, ...next });
  });
  const avg = (meter: string, hour: number, count: number, sum: number): unknown => ({
    meter,
    windowStart: new Date(T0 + hour * H).toISOString(),
    windowEnd: new Date(T0 + (hour + 1) * H).toISOString(),
    count,
    sum,
    avg: sum / count,
  });
  const averages = [rec('consumption-averages', 0, 0, 'a', avg('a', 6, 1, 0.5)), rec('consumption-averages', 0, 1, 'a', avg('a', 7, 1, 0.25)), rec('consumption-averages', 1, 0, 'b', avg('b', 7, 1, 1))];
  const alerts = [rec('alerts', 0, 0, 'a', { meter: 'a', windowStart: new Date(T0 + 6 * H).toISOString(), avg: 0.5 }), rec('alerts', 1, 0, 'b', { meter: 'b', windowStart: new Date(T0 + 7 * H).toISOString(), avg: 1 })];
  return new Map([
    ['electric-readings', readings],
    ['tariffs', tariffRecords()],
    ['audit-log', audit],
    ['audit.dlq', dlq('audit.dlq', 'audit')],
    ['billing.dlq', dlq('billing.dlq', 'billing-tariffs')],
    ['consumption-average.dlq', dlq('consumption-average.dlq', 'consumption-average')],
    ['bills', bills],
    ['consumption-averages', averages],
    ['alerts', alerts],
    ['alerts.dlq', []],
  ]);
}

const facts = (over: Partial<RunFacts> = {}): RunFacts => ({
  sourceExit: 0,
  sourceProduced: 6,
  sourceAcknowledged: 6,
  malformedEvery: 6,
  tariff,
  threshold: 0.4,
  windowMs: H,
  graceMs: 5 * 60_000,
  drained: true,
  drainDetail: 'drained',
  unexpectedExits: [],
  forcedKills: [],
  retentionLoss: [],
  tariffs: { initial: 1, changes: 1, changeAt: W0 + S, changeAckedAt: W0 },
  ...over,
});

function run(topics: Topics, over: Partial<RunFacts> = {}): Check[] {
  return runChecks(groundTruth(topics.get('electric-readings')!, tariff, H, topics.get('tariffs')), topics, facts(over));
}

const failed = (checks: Check[]): string[] => checks.filter((c) => !c.pass).map((c) => c.name);

describe('seda demo: end-of-run checks', () => {
  it('--chaos: counts a reading the embedded broker appended twice on a retried Produce, without it fails the source check', () => {
    const topics = consistentRun();
    const readings = topics.get('electric-readings')!;
    const last = readings.filter((r) => r.partition === 1).at(-1)!;
    readings.push({ ...last, offset: last.offset + 1 });
    const source = (checks: Check[]): Check => checks.find((c) => c.name.startsWith('source:'))!;
    const withChaos = source(run(topics, { chaos: { count: 7, detail: '7 faults' } }));
    expect(withChaos.pass, withChaos.detail).to.equal(true);
    expect(withChaos.detail).to.contain('1 identical copies');
    expect(source(run(topics)).pass).to.equal(false);
  });

  it('pass on a consistent run, at-least-once duplicates included', () => {
    const topics = consistentRun();
    const audit = topics.get('audit-log')!;
    audit.push({ ...audit[0], offset: audit.length }); // a replay after a kill
    const averages = topics.get('consumption-averages')!;
    averages.push({ ...averages[0], offset: 9 });
    const checks = run(topics);
    expect(failed(checks)).to.deep.equal([]);
    expect(checks.find((c) => c.name.startsWith('audit trail'))!.detail).to.contain('1 at-least-once duplicates');
  });

  it('fail when a reading was never audited, or audited with other content', () => {
    const missing = consistentRun();
    missing.get('audit-log')!.splice(1, 1);
    expect(failed(run(missing))).to.deep.equal(['audit trail: every reading exactly once by offset']);
    const altered = consistentRun();
    const e = altered.get('audit-log')![0];
    e.value = e.value!.replace('0.5', '0.6');
    expect(failed(run(altered))).to.deep.equal(['audit trail: every reading exactly once by offset']);
  });

  it('fail when a DLQ misses the malformed reading, names another reason, or holds a valid one', () => {
    const missing = consistentRun();
    missing.set('billing.dlq', []);
    expect(failed(run(missing))).to.deep.equal(['billing DLQ: the malformed readings, each with its reason']);
    const wrongCode = consistentRun();
    wrongCode.get('audit.dlq')![0].headers['seda.dlq.code'] = 'SEDA_STAGE_PROCESS';
    expect(failed(run(wrongCode))).to.deep.equal(['audit DLQ: the malformed readings, each with its reason']);
    const extra = consistentRun();
    extra.get('consumption-average.dlq')!.push(
      rec('consumption-average.dlq', 0, 1, 'b', '{}', { 'seda.dlq.stage': 'consumption-average', 'seda.dlq.code': 'SEDA_WINDOW_LATE', 'seda.dlq.partition': '1', 'seda.dlq.offset': '0' }),
    );
    expect(failed(run(extra))).to.deep.equal(['consumption-average DLQ: the malformed readings, each with its reason']);
  });

  it('fail when a bill is off, e.g. a reading billed twice', () => {
    const topics = consistentRun();
    const bills = topics.get('bills')!;
    const last = JSON.parse(bills[bills.length - 1].value!);
    bills.push(rec('bills', 0, 99, last.meter, { ...last, readings: last.readings + 1, kwh: last.kwh * 2, cost: last.cost * 2 }));
    expect(failed(run(topics))).to.deep.equal(['billing: totals = sum of readings x tariff']);
  });

  it('billing: each reading priced by the latest tariff at or before its record timestamp, the change counted', () => {
    const billing = (checks: Check[]): Check => checks.find((c) => c.name.startsWith('billing:'))!;
    const ok = billing(run(consistentRun()));
    expect(ok.pass, ok.detail).to.equal(true);
    // a: 3 valid readings, the last two after the change; 3 at a flat price.
    expect(ok.detail).to.contain('1 tariffs before the first readings, 1 changes mid-run applied from their timestamp on (2 readings billed after their meter');
    expect(ok.detail).to.contain('3 readings at a flat price');
    // Bills computed at the old price for the whole run (the change ignored) fail.
    const ignored = consistentRun();
    ignored.get('tariffs')!.pop();
    expect(failed(runChecks(groundTruth(ignored.get('electric-readings')!, tariff, H, ignored.get('tariffs')), consistentRun(), facts()))).to.deep.equal([
      'billing: totals = sum of readings x tariff',
    ]);
    // The change stamped one second later applies to one reading fewer: the totals differ. (The
    // readings' ts fields are months before W0: pricing by them would never apply the change.)
    const later = consistentRun();
    later.get('tariffs')![1].timestamp = W0 + 2 * S;
    expect(failed(run(later, { tariffs: { initial: 1, changes: 1, changeAt: W0 + 2 * S, changeAckedAt: W0 } }))).to.deep.equal(['billing: totals = sum of readings x tariff']);
  });

  it('billing: fail when a tariff is off its meter\'s partition, missing, acknowledged after it applies, or never applied', () => {
    const billing = (topics: Topics, over: Partial<RunFacts> = {}): string => {
      const c = run(topics, over).find((x) => x.name.startsWith('billing:'))!;
      expect(c.pass).to.equal(false);
      return c.detail;
    };
    const misplaced = consistentRun();
    misplaced.get('tariffs')!.push(rec('tariffs', 0, 2, 'b', { price: 0.9 }, {}, W0 + 10 * S));
    expect(billing(misplaced, { tariffs: { initial: 1, changes: 2, changeAt: W0 + S, changeAckedAt: W0 } })).to.contain('b on tariffs/0, its readings on electric-readings/1');
    const lost = consistentRun();
    lost.get('tariffs')!.pop();
    expect(billing(lost)).to.contain('tariffs holds 1 records, the demo wrote 2');
    expect(billing(consistentRun(), { tariffs: { initial: 1, changes: 1, changeAt: W0 + S, changeAckedAt: W0 + 2 * S } })).to.contain('acknowledged 1000 ms after the time it applies from');
    const tooLate = consistentRun();
    tooLate.get('tariffs')![1].timestamp = W0 + 60 * S;
    expect(billing(tooLate, { tariffs: { initial: 1, changes: 1, changeAt: W0 + 60 * S, changeAckedAt: W0 } })).to.contain('no tariff change applied');
  });

  it('fail when a closed window is missing or wrong, or an open one was emitted', () => {
    const missing = consistentRun();
    missing.get('consumption-averages')!.pop();
    expect(failed(run(missing))).to.include('hourly averages = ground truth');
    const early = consistentRun();
    early.get('consumption-averages')!.push(rec('consumption-averages', 0, 5, 'a', { meter: 'a', windowStart: new Date(T0 + 8 * H).toISOString(), count: 1, sum: 0.125, avg: 0.125 }));
    expect(failed(run(early))).to.deep.equal(['hourly averages = ground truth']);
  });

  it('fail when an alert is missing or below the threshold', () => {
    const topics = consistentRun();
    expect(failed(run(topics, { threshold: 0.2 }))).to.deep.equal(['alerts = windows above the threshold']); // a 07:00 (0.25) has no alert
    expect(failed(run(consistentRun(), { threshold: 0.6 }))).to.deep.equal(['alerts = windows above the threshold']); // a 06:00 (0.5) alerted
  });

  it('say so when a check fails on a topic that lost records to retention', () => {
    const topics = consistentRun();
    topics.get('audit-log')!.splice(0, 2); // as if deleted from the log start
    const audit = run(topics, { retentionLoss: [{ topic: 'audit-log', partition: 0, low: 2 }] }).find((c) => c.name.startsWith('audit trail'))!;
    expect(audit.pass).to.equal(false);
    expect(audit.detail).to.match(/\(audit-log lost records to retention\)$/);
  });

  it('fail on retention loss, a source that lost records, a crash, or a run that did not drain', () => {
    const names = failed(
      run(consistentRun(), {
        retentionLoss: [{ topic: 'electric-readings', partition: 1, low: 1 }],
        sourceAcknowledged: 5,
        unexpectedExits: ['billing exited 1'],
        drained: false,
        drainDetail: 'billing lag 5',
      }),
    );
    expect(names).to.deep.equal([
      'source: every reading acknowledged and on the topic',
      'drained: every stage at lag 0 before the stop',
      'clean run and stop: no crash, every stage exited 0 on SIGTERM',
      "nothing lost to the broker's retention",
    ]);
  });

  it('judges readings by the topic\'s contract: codes of malformed ones', () => {
    const code = (key: string | null, value: string): string | undefined => {
      const v = judge(rec('electric-readings', 0, 0, key, value));
      return v.ok ? undefined : v.code;
    };
    expect(code('m', '{"kwh":1,"ts":0}')).to.equal(undefined);
    expect(code(null, '{"kwh":1,"ts":0}')).to.equal('SEDA_READING_NO_METER');
    expect(code('m', '{"kwh":"x","ts":0}')).to.equal('SEDA_READING_KWH_INVALID');
    expect(code('m', '{"kwh":1,"ts":"2026-01-01T00:00:00"}')).to.equal('SEDA_READING_TS_INVALID');
    expect(code('m', '{"kwh":1,')).to.equal('SEDA_CODEC_DECODE');
  });
});
