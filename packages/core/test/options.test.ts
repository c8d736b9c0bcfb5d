import { expect } from 'chai';
import { defineStage, describeOptions, optionEnvName, optionFlag, resolveOptions, SedaError, testStage, type OptionsSchema } from '../src/index.js';

const schema = {
  price: { type: 'number', default: 0.3, min: 0, description: 'price per kWh' },
  count: { type: 'integer', description: 'how many' },
  window: { type: 'duration', default: '5m', description: 'a duration' },
  start: { type: 'time', description: 'a time' },
  verbose: { type: 'boolean', default: false, description: 'a flag' },
  zone: { type: 'string', default: 'UTC', check: (v: string) => (v.includes(' ') ? 'must have no spaces' : undefined), description: 'a zone' },
  format: { type: 'string', choices: ['ms', 'iso'], description: 'a choice' },
  key: { type: 'string', required: true, description: 'required' },
} as const satisfies OptionsSchema;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as SedaError).code;
  }
  return undefined;
}

describe('plugin options', () => {
  it('resolves defaults and parses strings by type (durations to ms, times to epoch ms)', () => {
    const v = resolveOptions(schema, { key: 'k', count: '12', start: '2026-01-01T01:00:00+01:00', verbose: 'true', window: '90s' }, 'x');
    expect(v).to.deep.equal({ price: 0.3, count: 12, window: 90_000, start: Date.UTC(2026, 0, 1), verbose: true, zone: 'UTC', key: 'k' });
    expect(Object.isFrozen(v)).to.equal(true);
  });

  it('accepts kebab-case names and typed values', () => {
    const v = resolveOptions({ peakPrice: { type: 'number', description: 'p' } }, { 'peak-price': 0.25 }, 'x');
    expect(v.peakPrice).to.equal(0.25);
  });

  it('lists every problem at once in one SEDA_OPTIONS_INVALID error', () => {
    let err: SedaError | undefined;
    try {
      resolveOptions(schema, { price: '-1', count: '1.5', start: '2026-01-01T00:00:00', zone: 'a b', format: 'csv', nope: 1 }, 'billing');
    } catch (e) {
      err = e as SedaError;
    }
    expect(err?.code).to.equal('SEDA_OPTIONS_INVALID');
    const m = err!.message;
    for (const part of ['unknown option "nope"', '"price" must be at least 0', '"count" must be a whole number', '"start" must be an ISO-8601 time with a zone', '"zone" must have no spaces', '"format" must be one of ms, iso', '"key" is required']) {
      expect(m).to.contain(part);
    }
    expect(m).to.contain('seda describe billing');
  });

  it('refuses a time without a zone and a number that is not one', () => {
    expect(codeOf(() => resolveOptions(schema, { key: 'k', start: '2026-01-01T00:00' }, 'x'))).to.equal('SEDA_OPTIONS_INVALID');
    expect(codeOf(() => resolveOptions(schema, { key: 'k', price: '' }, 'x'))).to.equal('SEDA_OPTIONS_INVALID');
    expect(codeOf(() => resolveOptions(schema, { key: 'k', price: '0.3eur' }, 'x'))).to.equal('SEDA_OPTIONS_INVALID');
    expect(codeOf(() => resolveOptions(schema, { key: 'k', verbose: 'maybe' }, 'x'))).to.equal('SEDA_OPTIONS_INVALID');
  });

  it('names flags and environment variables after the option', () => {
    expect(optionFlag('peakPrice')).to.equal('--peak-price');
    expect(optionEnvName('peakPrice')).to.equal('SEDA_OPT_PEAK_PRICE');
    expect(describeOptions(schema)[0]).to.equal('--price <number>  price per kWh (default 0.3, min 0)');
  });

  it('defineStage refuses a bad schema, a default included', () => {
    const bad = (options: unknown) =>
      codeOf(() => defineStage({ name: 's', input: { topic: 'i' }, options: options as OptionsSchema, process() {} }));
    expect(bad({ 'peak-price': { type: 'number', description: 'd' } })).to.equal('SEDA_STAGE_INVALID');
    expect(bad({ p: { type: 'float', description: 'd' } })).to.equal('SEDA_STAGE_INVALID');
    expect(bad({ p: { type: 'number' } })).to.equal('SEDA_STAGE_INVALID');
    expect(bad({ p: { type: 'number', default: 'x', description: 'd' } })).to.equal('SEDA_STAGE_INVALID');
    expect(bad({ p: { type: 'number', default: 1, description: 'd' } })).to.equal(undefined);
  });

  it('gives a stage its resolved options as ctx.options, the same object for every record', async () => {
    const seen = new Set<object>();
    const stage = defineStage({
      name: 'scaled',
      input: { topic: 'in' },
      outputs: { out: { topic: 'out' } },
      options: { factor: { type: 'number', default: 2, description: 'multiplier' } },
      process(r, ctx) {
        seen.add(ctx.options);
        const factor: number = ctx.options.factor;
        // @ts-expect-error options are typed: no such option
        void ctx.options.nope;
        ctx.emit('out', { value: (r.value as number) * factor });
      },
    });
    const t = testStage(stage, { options: { factor: '3' } });
    await t.send([{ key: 'a', value: 1 }, { key: 'b', value: 2 }]);
    expect(t.outputs('out').map((o) => o.value)).to.deep.equal([3, 6]);
    expect(seen.size).to.equal(1);
    expect(codeOf(() => testStage(stage, { options: { factor: 'lots' } }))).to.equal('SEDA_OPTIONS_INVALID');
  });
});
