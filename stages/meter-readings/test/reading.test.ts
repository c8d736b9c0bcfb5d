import { expect } from 'chai';
import type { SedaError } from '@seda/core';
import { parseReading } from '../src/reading.js';

function codeOf(key: unknown, value: unknown): string | undefined {
  try {
    parseReading(key, value);
  } catch (err) {
    expect((err as SedaError).canRetry, 'a malformed reading is never retried').to.equal(false);
    return (err as SedaError).code;
  }
  return undefined;
}

describe('reading schema (parseReading)', () => {
  it('normalises ts given as epoch ms or as ISO-8601 with a zone', () => {
    const t = Date.UTC(2026, 0, 1, 7, 0, 0);
    expect(parseReading('meter1', { kwh: 0.5, ts: t })).to.deep.equal({ meter: 'meter1', kwh: 0.5, ts: t });
    expect(parseReading('meter1', { kwh: 0, ts: '2026-01-01T07:00:00Z' }).ts).to.equal(t);
    expect(parseReading('meter1', { kwh: 0, ts: '2026-01-01T08:00:00.000+01:00' }).ts).to.equal(t);
  });

  it('names what is wrong with a malformed reading in its error code', () => {
    const ts = 0;
    expect(codeOf(null, { kwh: 1, ts })).to.equal('SEDA_READING_NO_METER');
    expect(codeOf('', { kwh: 1, ts })).to.equal('SEDA_READING_NO_METER');
    expect(codeOf('m', 'text')).to.equal('SEDA_READING_VALUE_INVALID');
    expect(codeOf('m', [1, 2])).to.equal('SEDA_READING_VALUE_INVALID');
    expect(codeOf('m', { ts })).to.equal('SEDA_READING_KWH_INVALID');
    expect(codeOf('m', { kwh: 'n/a', ts })).to.equal('SEDA_READING_KWH_INVALID');
    expect(codeOf('m', { kwh: '1.5', ts })).to.equal('SEDA_READING_KWH_INVALID');
    expect(codeOf('m', { kwh: -0.001, ts })).to.equal('SEDA_READING_KWH_NEGATIVE');
    expect(codeOf('m', { kwh: 1, ts: 'yesterday' })).to.equal('SEDA_READING_TS_INVALID');
    expect(codeOf('m', { kwh: 1, ts: '2026-01-01T07:00:00' }), 'no zone: ambiguous').to.equal('SEDA_READING_TS_INVALID');
    expect(codeOf('m', { kwh: 1 })).to.equal('SEDA_READING_TS_INVALID');
    expect(codeOf('m', { kwh: 1, ts })).to.equal(undefined);
  });
});
