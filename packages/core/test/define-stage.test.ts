import { expect } from 'chai';
import { defineStage, isStage, parseDuration, SedaError } from '../src/index.js';

const valid = { name: 'billing', input: { topic: 'electric-readings' }, process() {} };

describe('defineStage', () => {
  it('resolves metadata: default codecs, DLQ topic, mode and retry policy', () => {
    const stage = defineStage({ ...valid, outputs: { bills: { topic: 'bills' } } });
    expect(isStage(stage)).to.equal(true);
    expect(stage.input.codec.name).to.equal('json');
    expect(stage.input.keyCodec.name).to.equal('string');
    expect(stage.outputs.bills.topic).to.equal('bills');
    expect(stage.dlqTopic).to.equal('electric-readings.dlq');
    expect(stage.mode).to.equal('at-least-once');
    expect(stage.retry).to.deep.equal({ attempts: 3, backoffMs: 100, maxBackoffMs: 5000 });
  });

  it('defaults a stage with state to mode "state"', () => {
    expect(defineStage({ ...valid, state: {} }).mode).to.equal('state');
  });

  it('lists every problem of an invalid definition in one SEDA_STAGE_INVALID error', () => {
    let err: unknown;
    try {
      defineStage({ name: '', input: { topic: '' }, outputs: { x: { topic: '' } }, retry: { attempts: 0 }, mode: 'sometimes' } as never);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(SedaError);
    expect((err as SedaError).code).to.equal('SEDA_STAGE_INVALID');
    const msg = (err as Error).message;
    for (const part of ['"name"', '"process"', '"input.topic"', 'output "x"', '"retry.attempts"', '"mode"']) expect(msg).to.contain(part);
  });

  it('refuses a state mode without declared state', () => {
    expect(() => defineStage({ ...valid, mode: 'state' })).to.throw(/needs "state"/);
  });

  it('refuses an unknown codec by name', () => {
    expect(() => defineStage({ ...valid, input: { topic: 't', codec: 'avro' as never } })).to.throw().with.property('code', 'SEDA_STAGE_INVALID');
  });
});

describe('parseDuration', () => {
  for (const [input, ms] of [
    ['250ms', 250],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['2d', 172_800_000],
    [1000, 1000],
    ['42', 42],
  ] as const) {
    it(`reads ${JSON.stringify(input)} as ${ms} ms`, () => expect(parseDuration(input)).to.equal(ms));
  }
  for (const bad of ['soon', '5 minutes', '-1s', '', Number.NaN, -5]) {
    it(`rejects ${JSON.stringify(bad)} with SEDA_DURATION_INVALID`, () => {
      expect(() => parseDuration(bad as never, 'grace')).to.throw(/grace/).with.property('code', 'SEDA_DURATION_INVALID');
    });
  }
});
