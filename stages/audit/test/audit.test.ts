import { expect } from 'chai';
import { testStage } from '@seda/core';
import stage, { type AuditEntry } from '../src/index.js';

const T = Date.UTC(2026, 0, 1, 12);

describe('audit stage', () => {
  it('appends every reading with its topic, partition, offset and record timestamp, keyed by meter, in order', async () => {
    const t = testStage(stage, { partitions: 2, now: 5_000 });
    await t.send([
      { key: 'meter1', value: { kwh: 0.5, ts: T }, partition: 1 },
      { key: 'meter2', value: { kwh: 0, ts: new Date(T + 60_000).toISOString() }, partition: 0 },
      { key: 'meter1', value: { kwh: 1.25, ts: T + 120_000 }, partition: 1, timestamp: 9_000 },
    ]);
    const trail = t.outputs<string, AuditEntry>('trail');
    expect(trail.map((o) => o.key)).to.deep.equal(['meter2', 'meter1', 'meter1']);
    expect(trail.map((o) => o.value)).to.deep.equal([
      { topic: 'electric-readings', partition: 0, offset: 0, timestamp: 5_000, meter: 'meter2', kwh: 0, ts: T + 60_000, reading: { kwh: 0, ts: new Date(T + 60_000).toISOString() } },
      { topic: 'electric-readings', partition: 1, offset: 0, timestamp: 5_000, meter: 'meter1', kwh: 0.5, ts: T, reading: { kwh: 0.5, ts: T } },
      { topic: 'electric-readings', partition: 1, offset: 1, timestamp: 9_000, meter: 'meter1', kwh: 1.25, ts: T + 120_000, reading: { kwh: 1.25, ts: T + 120_000 } },
    ]);
    expect(t.deadLetters()).to.deep.equal([]);
  });

  it('sends malformed readings to audit.dlq at once (no retry), the code naming the reason, and audits the rest', async () => {
    const t = testStage(stage);
    await t.send([
      { key: 'meter1', value: { kwh: -1, ts: T } },
      { key: 'meter1', value: { kwh: 'n/a', ts: T } },
      { key: null, value: { kwh: 1, ts: T } },
      { key: 'meter1', value: { kwh: 1, ts: 'yesterday' } },
      { key: 'meter1', value: { kwh: 1, ts: T } },
    ]);
    await t.sendRaw({ key: 'meter1', value: '{"kwh": 1, "ts"' });
    expect(t.deadLetters().map((d) => [d.offset, d.code])).to.deep.equal([
      [0, 'SEDA_READING_KWH_NEGATIVE'],
      [1, 'SEDA_READING_KWH_INVALID'],
      [2, 'SEDA_READING_NO_METER'],
      [3, 'SEDA_READING_TS_INVALID'],
      [5, 'SEDA_CODEC_DECODE'],
    ]);
    expect(t.counters.retries).to.equal(0);
    expect(t.outputs<string, AuditEntry>('trail').map((o) => o.value.offset)).to.deep.equal([4]);
  });

  it('writes dead letters to its own topic, apart from the other stages reading the same input', () => {
    expect(stage.dlqTopic).to.equal('audit.dlq');
    expect(stage.mode).to.equal('at-least-once');
  });
});
