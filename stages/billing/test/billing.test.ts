import { expect } from 'chai';
import { testStage, type SedaError } from '@seda/core';
import withTariffs from '../src/with-tariffs.js';
import stage, { compileTariff, type BillUpdate } from '../src/index.js';

const D = Date.UTC(2026, 0, 15); // a Thursday in winter (Paris is UTC+1)
const at = (h: number, m = 0, s = 0, ms = 0): number => D + ((h * 60 + m) * 60 + s) * 1000 + ms;

describe('billing stage', () => {
  describe('tariff', () => {
    it('is peak from peakStart inclusive to peakEnd exclusive (UTC by default)', () => {
      const t = compileTariff({ peakStart: '07:00', peakEnd: '23:00', peakPrice: 0.3, offPeakPrice: 0.15, timezone: 'UTC' });
      expect(t.isPeak(at(6, 59, 59, 999))).to.equal(false);
      expect(t.isPeak(at(7))).to.equal(true);
      expect(t.isPeak(at(22, 59, 59, 999))).to.equal(true);
      expect(t.isPeak(at(23))).to.equal(false);
      expect(t.priceAt(at(12))).to.equal(0.3);
      expect(t.priceAt(at(0))).to.equal(0.15);
    });

    it('supports a peak across midnight, and no peak at all when start equals end', () => {
      const night = compileTariff({ peakStart: '22:00', peakEnd: '02:00', peakPrice: 1, offPeakPrice: 0, timezone: 'UTC' });
      expect([at(21, 59), at(22), at(23, 30), at(1, 59), at(2), at(12)].map((ts) => night.isPeak(ts))).to.deep.equal([false, true, true, true, false, false]);
      const flat = compileTariff({ peakStart: '07:00', peakEnd: '07:00', peakPrice: 1, offPeakPrice: 0.2, timezone: 'UTC' });
      expect(flat.isPeak(at(7))).to.equal(false);
    });

    it('reads the peak hours in the given time zone, across a daylight-saving change', () => {
      const paris = compileTariff({ peakStart: '07:00', peakEnd: '23:00', peakPrice: 1, offPeakPrice: 0, timezone: 'Europe/Paris' });
      expect(paris.isPeak(at(5, 59, 59))).to.equal(false); // 06:59:59 in Paris (UTC+1)
      expect(paris.isPeak(at(6))).to.equal(true); // 07:00 in Paris
      const summer = Date.UTC(2026, 6, 1);
      expect(paris.isPeak(summer + 4 * 3_600_000 + 59 * 60_000)).to.equal(false); // 06:59 in Paris (UTC+2)
      expect(paris.isPeak(summer + 5 * 3_600_000)).to.equal(true); // 07:00 in Paris
    });
  });

  it('keeps each meter\'s running account in state and emits it after every reading', async () => {
    const t = testStage(stage);
    await t.send([
      { key: 'm1', value: { kwh: 2, ts: at(6, 59, 59, 999) } }, // off-peak 0.15
      { key: 'm1', value: { kwh: 1, ts: new Date(at(7)).toISOString() } }, // peak 0.30
      { key: 'm2', value: { kwh: 4, ts: at(23) } }, // off-peak
    ]);
    await t.send({ key: 'm1', value: { kwh: 0.5, ts: at(12) } });
    const bills = t.outputs<string, BillUpdate>('bills');
    expect(bills.map((b) => [b.key, b.value.readings, b.value.kwh, b.value.peakKwh, b.value.offPeakKwh, b.value.cost, b.value.reading.peak])).to.deep.equal([
      ['m1', 1, 2, 0, 2, 0.3, false],
      ['m1', 2, 3, 1, 2, 0.6, true],
      ['m2', 1, 4, 0, 4, 0.6, false],
      ['m1', 3, 3.5, 1.5, 2, 0.75, true],
    ]);
    expect(bills[0].value).to.include({ meter: 'm1', currency: 'EUR', lastTs: at(6, 59, 59, 999) });
    expect(await t.state().get('m1')).to.deep.include({ readings: 3, cost: 0.75 });
  });

  it('takes its tariff from options (as seda run --set / flags / SEDA_OPT_* give them)', async () => {
    const t = testStage(stage, { options: { peakStart: '00:00', peakEnd: '12:00', peakPrice: '2', offPeakPrice: '1', currency: 'CHF' } });
    await t.send([{ key: 'm1', value: { kwh: 1, ts: at(11, 59) } }, { key: 'm1', value: { kwh: 1, ts: at(12) } }]);
    expect(t.outputs<string, BillUpdate>('bills').map((b) => [b.value.cost, b.value.currency])).to.deep.equal([
      [2, 'CHF'],
      [3, 'CHF'],
    ]);
  });

  it('refuses bad tariff options at once, every problem named', () => {
    let err: SedaError | undefined;
    try {
      testStage(stage, { options: { peakStart: '7am', peakPrice: '-1', timezone: 'Mars/Olympus' } });
    } catch (e) {
      err = e as SedaError;
    }
    expect(err?.code).to.equal('SEDA_OPTIONS_INVALID');
    expect(err?.message).to.match(/"peakStart" must be a time of day HH:MM/).and.match(/"peakPrice" must be at least 0/).and.match(/"timezone" must be an IANA time zone/);
  });

  it('dead-letters malformed readings without touching the account', async () => {
    const t = testStage(stage);
    await t.send([
      { key: 'm1', value: { kwh: 1, ts: at(12) } },
      { key: 'm1', value: { kwh: -1, ts: at(12) } },
      { key: 'm1', value: { kwh: 'n/a', ts: at(12) } },
      { key: null, value: { kwh: 1, ts: at(12) } },
      { key: 'm1', value: { kwh: 1, ts: '12:00' } },
    ]);
    expect(t.deadLetters().map((d) => d.code)).to.deep.equal(['SEDA_READING_KWH_NEGATIVE', 'SEDA_READING_KWH_INVALID', 'SEDA_READING_NO_METER', 'SEDA_READING_TS_INVALID']);
    expect(await t.state().get('m1')).to.deep.include({ readings: 1, kwh: 1 });
    expect(stage.mode).to.equal('state');
    expect(stage.dlqTopic).to.equal('billing.dlq');
  });

  it('billing-tariffs: a tariff change in the tariffs table applies to readings from its timestamp on; meters without one keep the options', async () => {
    const t = testStage(withTariffs, {
      tables: { tariffs: [{ key: 'm1', value: { price: 0.5 }, timestamp: at(10) }, { key: 'm1', value: { price: 0.1 }, timestamp: at(14) }] },
    });
    // The join is by record timestamp (the reading's Kafka timestamp), here the reading's time.
    const reading = (meter: string, kwh: number, ts: number) => ({ key: meter, value: { kwh, ts }, timestamp: ts });
    await t.send([reading('m1', 1, at(9)), reading('m1', 1, at(10)), reading('m1', 1, at(13, 59)), reading('m1', 1, at(14)), reading('m2', 1, at(14))]);
    expect(t.outputs<string, BillUpdate>('bills').map((b) => [b.key, b.value.reading.price])).to.deep.equal([
      ['m1', 0.3],
      ['m1', 0.5],
      ['m1', 0.5],
      ['m1', 0.1],
      ['m2', 0.3],
    ]);
    const account = (await t.state().get('m1')) as { readings: number; cost: number };
    expect(account.readings).to.equal(4);
    expect(account.cost).to.be.closeTo(1.4, 1e-9);
  });
});
