import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testSource, type SedaError, type SourceTestOutput } from '@seda/core';
import meterReadings, { parseReading, readingTime } from '../src/index.js';

const START = '2026-03-01T00:00:00Z';
const START_MS = Date.parse(START);
const HOUR = 3_600_000;

async function readings(options: { [k: string]: unknown }): Promise<SourceTestOutput<string | null, { kwh: unknown; ts: unknown }>[]> {
  return (await testSource(meterReadings, { options })).outputs('readings');
}

async function codeOf(options: { [k: string]: unknown }): Promise<string | undefined> {
  try {
    await testSource(meterReadings, { options });
  } catch (err) {
    return (err as SedaError).code;
  }
  return undefined;
}

describe('meter-readings source', () => {
  it('is deterministic: the same seed and start give the same readings, another seed others', async () => {
    const a = await readings({ meters: 5, count: 200, seed: 7, start: START });
    const b = await readings({ meters: 5, count: 200, seed: 7, start: START });
    const c = await readings({ meters: 5, count: 200, seed: 8, start: START });
    expect(a).to.have.lengthOf(200);
    expect(b).to.deep.equal(a);
    expect(c.map((r) => r.value)).to.not.deep.equal(a.map((r) => r.value));
  });

  it('has meters meter1..meterM reporting in turn, each once per interval of event time, in order per meter', async () => {
    const rows = await readings({ meters: 3, count: 300, seed: 1, start: START, interval: '1m' });
    expect(rows.slice(0, 4).map((r) => r.key)).to.deep.equal(['meter1', 'meter2', 'meter3', 'meter1']);
    for (const [i, r] of rows.entries()) {
      const ts = r.value.ts as number;
      const round = Math.floor(i / 3);
      // Clock drift: up to half an interval after the round's time, so per meter the order holds.
      expect(ts - (START_MS + round * 60_000)).to.be.within(0, 29_999);
      expect(() => parseReading(r.key, r.value)).to.not.throw();
      expect(r.value.kwh).to.be.a('number').and.at.least(0);
    }
  });

  it('paces by --rate within --duration on its clock: rate x duration records', async () => {
    const run = await testSource(meterReadings, { options: { meters: 4, rate: 50, duration: '10s', seed: 1, start: START } });
    expect(run.records).to.equal(500);
    expect(run.elapsedMs).to.be.within(9_900, 10_000);
    expect(run.batches).to.be.above(50); // paced in small batches, not all at once
  });

  it('--speedup makes event time run that much faster than its clock (1440: a day per minute)', async () => {
    const run = await testSource(meterReadings, { options: { meters: 10, speedup: 1440, duration: '60s', seed: 2, start: START } });
    const rows = run.outputs('readings');
    const span = (rows[rows.length - 1].value.ts as number) - START_MS;
    expect(span).to.be.within(24 * HOUR - 2 * 60_000, 24 * HOUR);
    // interval 1m, 10 meters, a day per minute: 10 * 1440 / 60 = 240 readings a second.
    expect(run.records).to.equal(240 * 60);
  });

  it('derives the interval from --rate and --speedup, and refuses all three at once', async () => {
    const rows = await readings({ meters: 2, rate: 100, speedup: 3000, count: 6, seed: 1, start: START });
    // interval = meters * speedup / rate = 60 s of event time per meter.
    expect(Math.floor(((rows[4].value.ts as number) - START_MS) / 60_000)).to.equal(2);
    expect(await codeOf({ rate: 100, speedup: 3000, interval: '1m', count: 1 })).to.equal('SEDA_OPTIONS_INVALID');
  });

  it('injects every n-th reading malformed, cycling the kinds, and only those fail the schema', async () => {
    const rows = await readings({ meters: 7, count: 800, seed: 3, start: START, malformedEvery: 100 });
    const failures: Array<[number, string]> = [];
    for (const [i, r] of rows.entries()) {
      try {
        parseReading(r.key, r.value);
      } catch (err) {
        failures.push([i, (err as SedaError).code]);
      }
    }
    expect(failures).to.deep.equal([
      [99, 'SEDA_READING_KWH_NEGATIVE'],
      [199, 'SEDA_READING_KWH_INVALID'],
      [299, 'SEDA_READING_NO_METER'],
      [399, 'SEDA_READING_TS_INVALID'],
      [499, 'SEDA_READING_KWH_NEGATIVE'],
      [599, 'SEDA_READING_KWH_INVALID'],
      [699, 'SEDA_READING_NO_METER'],
      [799, 'SEDA_READING_TS_INVALID'],
    ]);
  });

  it('writes ts as ISO-8601 every other reading with --ts-format mixed, meaning the same instants', async () => {
    const ms = await readings({ meters: 3, count: 20, seed: 4, start: START });
    const mixed = await readings({ meters: 3, count: 20, seed: 4, start: START, tsFormat: 'mixed' });
    expect(mixed.filter((r) => typeof r.value.ts === 'string')).to.have.lengthOf(10);
    expect(mixed.map((r) => readingTime(r.value.ts))).to.deep.equal(ms.map((r) => r.value.ts));
  });

  it('stops when asked (SIGTERM), keeping what it produced', async () => {
    const run = await testSource(meterReadings, { options: { meters: 3, rate: 100, seed: 1 }, stopAfter: 50 });
    expect(run.records).to.be.within(50, 60);
  });

  describe('--from-csv', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seda-meter-csv-'));

    it('replays meter,ts,kwh lines as they are, malformed ones included, skipping the header', async () => {
      const file = join(dir, 'readings.csv');
      writeFileSync(file, 'meter,ts,kwh\nm1,1767225600000,0.5\nm2,2026-01-01T00:01:00Z,0.25\n,1767225720000,1\nm3,1767225780000,n/a\nm4,1767225840000,\n');
      const rows = await readings({ fromCsv: file });
      expect(rows.map((r) => [r.key, r.value])).to.deep.equal([
        ['m1', { ts: 1767225600000, kwh: 0.5 }],
        ['m2', { ts: '2026-01-01T00:01:00Z', kwh: 0.25 }],
        [null, { ts: 1767225720000, kwh: 1 }],
        ['m3', { ts: 1767225780000, kwh: 'n/a' }],
        ['m4', { ts: 1767225840000 }],
      ]);
    });

    it('paces a replay by the readings\' event time with --speedup', async () => {
      const file = join(dir, 'hour.csv');
      writeFileSync(file, Array.from({ length: 61 }, (_, i) => `m1,${START_MS + i * 60_000},0.1`).join('\n'));
      const run = await testSource(meterReadings, { options: { fromCsv: file, speedup: 60 } });
      expect(run.records).to.equal(61);
      expect(run.elapsedMs).to.be.within(59_000, 60_000); // an hour of readings in a minute
    });

    it('stops at a line that is not meter,ts,kwh with SEDA_READING_CSV; refuses synthetic-only options', async () => {
      const file = join(dir, 'bad.csv');
      writeFileSync(file, 'm1,1,0.5\nm1;2;0.5\n');
      expect(await codeOf({ fromCsv: file })).to.equal('SEDA_READING_CSV');
      expect(await codeOf({ fromCsv: file, meters: 3 })).to.equal('SEDA_OPTIONS_INVALID');
      expect(await codeOf({ fromCsv: join(dir, 'missing.csv') })).to.equal('SEDA_OPTIONS_INVALID');
    });
  });
});
