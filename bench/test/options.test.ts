import { expect } from 'chai';
import { validateOptions, scenarioOptions } from '../src/options.js';
import { defineScenario, type Scenario } from '../src/scenario.js';

function codeOf(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected an error');
}

const scenario = (over: Partial<Scenario> = {}): Scenario =>
  ({
    name: 'demo',
    description: 'a demo',
    systems: [{ id: 'raw', label: 'raw', baseline: true }, { id: 'seda', label: 'seda' }],
    defaults: { messages: 1_000_000, quickMessages: 100_000 },
    latencyPhase: true,
    measure: async () => {
      throw new Error('not run');
    },
    targets: [],
    ...over,
  }) as Scenario;

describe('bench options and scenario definitions', () => {
  it('rejects bad options with one SEDA_BENCH_OPTIONS error naming every problem', () => {
    const err = codeOf(() => validateOptions({ scenarios: ['nope'], messages: 10, size: 4, runs: 0, stage: '/no/such/stage.js' }, ['produce', 'passthrough']));
    expect(err.code).to.equal('SEDA_BENCH_OPTIONS');
    for (const part of ['--messages', '--size', '--runs', 'unknown scenario "nope"', '--stage']) expect(err.message).to.contain(part);
    expect(() => validateOptions({ scenarios: ['produce'], messages: 5000 }, ['produce'])).to.not.throw();
  });

  it('sizes a scenario from its defaults, --quick and the options given', () => {
    const full = scenarioOptions(scenario(), { scenarios: [] });
    expect(full).to.include({ messages: 1_000_000, warmup: 100_000, size: 100, partitions: 8, rate: 10_000, rateSeconds: 10, quick: false });
    const quick = scenarioOptions(scenario(), { scenarios: [], quick: true, size: 1000, rate: 0 });
    expect(quick).to.include({ messages: 100_000, warmup: 10_000, size: 1000, rate: 0, rateSeconds: 3, quick: true });
    expect(scenarioOptions(scenario(), { scenarios: [], stage: 'x.js' }).stages.stateful).to.match(/x\.js$/);
  });

  it('refuses a scenario without exactly one baseline, with SEDA_BENCH_SCENARIO', () => {
    expect(codeOf(() => defineScenario(scenario({ systems: [{ id: 'a', label: 'a' }] }))).code).to.equal('SEDA_BENCH_SCENARIO');
    expect(codeOf(() => defineScenario(scenario({ name: 'Bad Name' }))).code).to.equal('SEDA_BENCH_SCENARIO');
    expect(defineScenario(scenario()).name).to.equal('demo');
  });
});
