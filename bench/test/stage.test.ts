import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateOptions } from '../src/options.js';
import { runBench } from '../src/runner.js';
import { textTable } from '../src/report/table.js';
import { sampleRecords } from '../src/stage-input.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const quiet = { start: () => {}, update: () => {}, stop: () => {} };
const dir = mkdtempSync(join(tmpdir(), 'seda-bench-stage-'));
const sample = join(dir, 'sample.txt');
writeFileSync(sample, 'hello\n{"key":"k1","value":"world"}\nskip\n');

describe('seda bench --stage (your stage next to the raw baseline)', function () {
  this.timeout(120_000);

  it('reads a sample file: JSON {key, value} lines are records, any other line is a value', () => {
    const records = sampleRecords(sample);
    expect(records.map((r) => [r.key?.toString() ?? null, r.value.toString()])).to.deep.equal([
      [null, 'hello'],
      ['k1', 'world'],
      [null, 'skip'],
    ]);
  });

  it('lists every problem with --stage, --sample and --generator in one error', () => {
    try {
      validateOptions({ scenarios: ['stage'], sample: join(dir, 'nope.txt'), generator: sample }, ['stage']);
      expect.fail('accepted');
    } catch (err) {
      expect((err as { code?: string }).code).to.equal('SEDA_BENCH_OPTIONS');
      const m = (err as Error).message;
      for (const part of ['--sample', 'not both', 'give the stage module too', 'give it with --stage']) expect(m).to.include(part);
    }
  });

  it('measures a stateless stage over a sample file and a stateful one over a generator, each next to raw, in one table', async () => {
    const out = { text: '', write(t: string) { this.text += t; return true; } };
    const [stateless] = await runBench(
      { scenarios: [], stage: join(fixtures, 'shout-stage.js'), sample, messages: 2000, partitions: 2, save: false },
      { out, progress: quiet },
    );
    const [stateful] = await runBench(
      { scenarios: [], stage: join(fixtures, 'count-stage.js'), generator: join(fixtures, 'orders-generator.js'), messages: 2000, partitions: 2, save: false },
      { out, progress: quiet },
    );
    for (const r of [stateless, stateful]) {
      expect(r.scenario).to.equal('stage');
      expect(r.systems.map((s) => s.id)).to.deep.equal(['raw', 'stage']);
      for (const s of r.systems) {
        expect(s.errors, s.id).to.deep.equal([]);
        expect(s.figures.msgsPerSec, s.id).to.be.greaterThan(0);
      }
      expect(r.systems[1].ratio.msgsPerSec).to.be.greaterThan(0);
      expect(r.targets[0].info).to.equal(true);
    }
    // 3000 inputs (2000 + warm-up): raw echoes all; the stage drops every "skip" (a third).
    const outputs = (r: typeof stateless, id: string): number | undefined => r.systems.find((s) => s.id === id)!.runs[0].outputs;
    expect(outputs(stateless, 'raw')).to.equal(3000);
    expect(outputs(stateless, 'stage')).to.equal(2000);
    // The stateful stage emits one running count per input.
    expect(outputs(stateful, 'stage')).to.equal(3000);
    expect(textTable(stateful)).to.include('stage count-stage.js').and.include('stage/raw');
    expect(out.text).to.include('your stage (seda)');
  });
});
