import { expect } from 'chai';
import { defineSource, isSource, isStage, SedaError, testSource, type OutputBatch, type SourceEmission } from '../src/index.js';

const codeOf = async (fn: () => unknown): Promise<string | undefined> => {
  try {
    await fn();
  } catch (err) {
    return (err as SedaError).code;
  }
  return undefined;
};

const ticks = defineSource({
  name: 'ticks',
  outputs: { ticks: { topic: 'ticks' } },
  options: {
    count: { type: 'integer', default: 5, description: 'ticks' },
    every: { type: 'duration', default: '1s', description: 'pause between ticks' },
  },
  async *generate(ctx) {
    for (let i = 0; i < ctx.options.count; i++) {
      if (i > 0 && !(await ctx.sleep(ctx.options.every))) return;
      yield [{ key: 'clock', value: { i, at: ctx.now() } }];
    }
  },
});

describe('sources (defineSource, testSource)', () => {
  it('is a source, not a stage, with its options and outputs resolved', () => {
    expect(isSource(ticks)).to.equal(true);
    expect(isStage(ticks)).to.equal(false);
    expect(ticks.outputs.ticks.topic).to.equal('ticks');
    expect(Object.keys(ticks.options)).to.deep.equal(['count', 'every']);
  });

  it('runs in memory on a virtual clock: paced sources take no real time', async () => {
    const run = await testSource(ticks, { options: { count: '4', every: '1h' }, now: 1000 });
    expect(run.outputs('ticks').map((o) => [o.key, o.value])).to.deep.equal([
      ['clock', { i: 0, at: 1000 }],
      ['clock', { i: 1, at: 1000 + 3_600_000 }],
      ['clock', { i: 2, at: 1000 + 7_200_000 }],
      ['clock', { i: 3, at: 1000 + 10_800_000 }],
    ]);
    expect(run.elapsedMs).to.equal(3 * 3_600_000);
    expect(run.records).to.equal(4);
    expect(run.cut).to.equal(false);
  });

  it('a stop request (ctx.signal) ends the source: sleeps return false, what was yielded is kept', async () => {
    const run = await testSource(ticks, { options: { count: 100 }, stopAfter: 3 });
    // Batches generated ahead of the stop (the stream reads up to 2 ahead) are still produced.
    expect(run.records).to.be.within(3, 5);
    expect(run.cut).to.equal(false);
  });

  it('cuts a source that ignores the stop signal at maxRecords', async () => {
    const endless = defineSource({
      name: 'endless',
      outputs: { out: { topic: 'o' } },
      *generate() {
        for (let i = 0; ; i++) yield [{ value: i }, { value: i }];
      },
    });
    const run = await testSource(endless, { maxRecords: 10 });
    expect(run.records).to.equal(10);
    expect(run.cut).to.equal(true);
  });

  it('encodes with each output\'s codecs; a key of null is no key; several outputs need "to"', async () => {
    const two = defineSource({
      name: 'two',
      outputs: { a: { topic: 'ta', codec: 'string' }, b: { topic: 'tb' } },
      *generate() {
        yield [
          { to: 'a', key: 'k', value: 'text', headers: { h: 'v' } },
          { to: 'b', key: null, value: { n: 1 }, partition: 2 },
        ];
      },
    });
    const run = await testSource(two, { outputs: { b: 'tb-v2' } });
    expect(run.outputs('a')).to.deep.equal([{ topic: 'ta', key: 'k', value: 'text', headers: { h: 'v' } }]);
    expect(run.outputs('b')).to.deep.equal([{ topic: 'tb-v2', key: null, value: { n: 1 }, headers: {}, partition: 2 }]);
    const noTo = defineSource({
      name: 'no-to',
      outputs: { a: { topic: 'ta' }, b: { topic: 'tb' } },
      *generate() {
        yield [{ value: 1 } as SourceEmission<'a' | 'b'>];
      },
    });
    expect(await codeOf(() => testSource(noTo))).to.equal('SEDA_STAGE_OUTPUT_UNKNOWN');
  });

  it('makes one ordered OutputBatch per generated batch, counting records in nextOffset', async () => {
    const batches: OutputBatch[] = [];
    const r = ticks.createReadable({ options: { count: 3, every: 0 } });
    for await (const b of r) batches.push(b as OutputBatch);
    expect(batches.map((b) => [b.topic, b.partition, b.nextOffset, b.inputCount, b.messages.length])).to.deep.equal([
      ['ticks', 0, 1, 1, 1],
      ['ticks', 0, 2, 1, 1],
      ['ticks', 0, 3, 1, 1],
    ]);
  });

  it('refuses a bad definition and bad options at once, with their codes', async () => {
    expect(await codeOf(() => defineSource({ name: 'x', outputs: {}, *generate() {} }))).to.equal('SEDA_SOURCE_INVALID');
    expect(await codeOf(() => defineSource({ name: 'x', outputs: { o: { topic: '' } }, *generate() {} }))).to.equal('SEDA_SOURCE_INVALID');
    expect(await codeOf(() => defineSource({ name: 'x', outputs: { o: { topic: 't' } } } as never))).to.equal('SEDA_SOURCE_INVALID');
    expect(await codeOf(() => testSource(ticks, { options: { count: 'many' } }))).to.equal('SEDA_OPTIONS_INVALID');
    expect(await codeOf(() => ticks.createReadable({ outputs: { nope: 't' } }))).to.equal('SEDA_STAGE_OUTPUT_UNKNOWN');
  });
});
