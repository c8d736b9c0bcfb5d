import { expect } from 'chai';
import { testStage } from '@seda/core';
import stage, { type ConsumptionAlert } from '../src/index.js';

const avg = (meter: string, value: number, start = '2026-01-01T19:00:00.000Z') => ({
  key: meter,
  value: { meter, windowStart: start, windowEnd: '2026-01-01T20:00:00.000Z', count: 60, sum: value * 60, avg: value },
});

describe('alerts stage', () => {
  it('alerts only for windows whose average is strictly above the threshold (default 0.05)', async () => {
    const t = testStage(stage);
    await t.send([avg('m1', 0.0499), avg('m2', 0.05), avg('m3', 0.0501), avg('m4', 0.2)]);
    const alerts = t.outputs<string, ConsumptionAlert>('alerts');
    expect(alerts.map((a) => [a.key, a.value.avg, a.value.threshold])).to.deep.equal([
      ['m3', 0.0501, 0.05],
      ['m4', 0.2, 0.05],
    ]);
    expect(alerts[0].value).to.deep.equal({ meter: 'm3', windowStart: '2026-01-01T19:00:00.000Z', windowEnd: '2026-01-01T20:00:00.000Z', avg: 0.0501, threshold: 0.05, count: 60 });
  });

  it('takes the threshold from its options', async () => {
    const t = testStage(stage, { options: { threshold: '0.1' } });
    await t.send([avg('m1', 0.0501), avg('m2', 0.11)]);
    expect(t.outputs<string, ConsumptionAlert>('alerts').map((a) => a.key)).to.deep.equal(['m2']);
  });

  it('dead-letters records that are not hourly averages, without retrying', async () => {
    const t = testStage(stage);
    await t.send([{ key: 'm1', value: { meter: 'm1', avg: 'high' } }, { key: 'm1', value: 'x' }, { key: 'm1', value: { avg: 1, windowStart: 'a', windowEnd: 'b' } }]);
    expect(t.deadLetters().map((d) => d.code)).to.deep.equal(['SEDA_ALERT_INPUT_INVALID', 'SEDA_ALERT_INPUT_INVALID', 'SEDA_ALERT_INPUT_INVALID']);
    expect(t.counters.retries).to.equal(0);
  });
});
