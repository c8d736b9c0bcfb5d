import { expect } from 'chai';
import { resolveOptions, type OptionsSchema, type SedaError } from '@seda/core';
import { collidingOptions, pluginOptionValues } from '../src/plugin-options.js';

const schema = {
  peakPrice: { type: 'number', default: 0.3, description: 'p' },
  timezone: { type: 'string', default: 'UTC', description: 'z' },
  dryRun: { type: 'boolean', default: false, description: 'b' },
  count: { type: 'integer', description: 'n' },
} as const satisfies OptionsSchema;

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as SedaError).code;
  }
  return undefined;
}

describe('seda run: a plugin\'s options from the command line', () => {
  it('reads --name value, --name=value, --flag and --no-flag', () => {
    const v = pluginOptionValues('billing', schema, { args: ['--peak-price', '0.32', '--timezone=Europe/Paris', '--dry-run', '--count', '-5'] });
    expect(resolveOptions(schema, v, 'billing')).to.deep.equal({ peakPrice: 0.32, timezone: 'Europe/Paris', dryRun: true, count: -5 });
    expect(pluginOptionValues('billing', schema, { args: ['--no-dry-run'] })).to.deep.equal({ dryRun: false });
  });

  it('flags win over --set, which wins over SEDA_OPT_*, which wins over the --config file', () => {
    const v = pluginOptionValues('billing', schema, {
      file: { peakPrice: 0.1, timezone: 'Asia/Tokyo', count: 1 },
      env: { SEDA_OPT_PEAK_PRICE: '0.2', SEDA_OPT_TIMEZONE: 'Europe/Oslo' },
      sets: ['peak-price=0.25'],
      args: ['--peak-price', '0.3'],
    });
    expect(resolveOptions(schema, v, 'billing')).to.include({ peakPrice: 0.3, timezone: 'Europe/Oslo', count: 1 });
    const w = pluginOptionValues('billing', schema, { env: { SEDA_OPT_PEAK_PRICE: '0.2' }, sets: ['peakPrice=0.25'] });
    expect(w.peakPrice).to.equal('0.25');
  });

  it('refuses an unknown option, a missing value, a stray argument and a bad --set, each with SEDA_OPTIONS_INVALID naming the options', () => {
    for (const layers of [{ args: ['--peek-price', '1'] }, { args: ['--count'] }, { args: ['stray'] }, { sets: ['peakPrice'] }]) {
      expect(codeOf(() => pluginOptionValues('billing', schema, layers)), JSON.stringify(layers)).to.equal('SEDA_OPTIONS_INVALID');
    }
    try {
      pluginOptionValues('billing', schema, { args: ['--peek-price', '1'] });
    } catch (err) {
      expect((err as Error).message).to.contain('unknown option --peek-price').and.contain('--peak-price').and.contain('seda describe billing');
    }
  });

  it('finds options that seda run\'s own flags would take', () => {
    expect(collidingOptions({ group: { type: 'string', description: 'g' }, peakPrice: { type: 'number', description: 'p' } }, ['--group', '--brokers'])).to.deep.equal(['group']);
  });
});
