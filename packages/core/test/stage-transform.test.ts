import { expect } from 'chai';
import { defineStage, SedaError, testStage } from '../src/index.js';

describe('stage transform', () => {
  it('emits outputs in input order and keeps the input key when none is given', async () => {
    const stage = defineStage({
      name: 'double',
      input: { topic: 'in' },
      outputs: { out: { topic: 'out' } },
      process(r, ctx) {
        ctx.emit('out', { value: (r.value as number) * 2 });
        if ((r.value as number) % 2 === 0) ctx.emit('out', { key: 'even', value: r.value });
      },
    });
    const t = testStage(stage);
    await t.send([1, 2, 3, 4].map((v) => ({ key: `k${v}`, value: v })));
    expect(t.outputs('out').map((o) => [o.key, o.value])).to.deep.equal([
      ['k1', 2], ['k2', 4], ['even', 2], ['k3', 6], ['k4', 8], ['even', 4],
    ]);
    expect(t.offsets()).to.deep.equal({ 0: 4 });
    expect(t.counters.recordsIn).to.equal(4);
    expect(t.counters.recordsOut.out).to.equal(6);
  });

  it('awaits async process and keeps order when sync and async records mix', async () => {
    const stage = defineStage({
      name: 'mixed',
      input: { topic: 'in' },
      outputs: { out: { topic: 'out' } },
      async process(r, ctx) {
        if ((r.value as number) % 3 === 0) await new Promise((res) => setTimeout(res, 2));
        ctx.emit('out', { value: r.value });
      },
    });
    const t = testStage(stage);
    await t.send(Array.from({ length: 30 }, (_, i) => ({ key: 'k', value: i })));
    expect(t.outputs('out').map((o) => o.value)).to.deep.equal(Array.from({ length: 30 }, (_, i) => i));
  });

  it('retries a failing record, discarding the failed attempts\' outputs and state writes', async () => {
    let calls = 0;
    const stage = defineStage({
      name: 'flaky',
      input: { topic: 'in' },
      outputs: { out: { topic: 'out' } },
      state: {},
      retry: { attempts: 3, backoffMs: 10 },
      async process(r, ctx) {
        const n = ((await ctx.state.get('n')) as number | undefined) ?? 0;
        ctx.state.put('n', n + 1);
        ctx.emit('out', { value: `attempt ${++calls}` });
        if (calls < 3) throw new Error('transient');
      },
    });
    const t = testStage(stage);
    await t.send({ key: 'a', value: 1 });
    expect(t.outputs('out').map((o) => o.value)).to.deep.equal(['attempt 3']);
    expect(await t.state().get('n')).to.equal(1);
    expect(t.counters.retries).to.equal(2);
    expect(t.deadLetters()).to.have.lengthOf(0);
    expect(t.now()).to.equal(10 + 20); // backoff doubles, on the driver's virtual clock
  });

  it('dead-letters a record after its last attempt, with provenance, and goes on with the partition', async () => {
    const stage = defineStage({
      name: 'strict',
      input: { topic: 'readings' },
      outputs: { out: { topic: 'out' } },
      retry: { attempts: 2, backoffMs: 1 },
      process(r, ctx) {
        if (r.key === 'bad') throw new Error('no bad keys');
        ctx.emit('out', { value: r.value });
      },
    });
    const t = testStage(stage);
    await t.send([{ key: 'a', value: 1 }, { key: 'bad', value: 2 }, { key: 'c', value: 3 }]);
    expect(t.outputs('out').map((o) => o.value)).to.deep.equal([1, 3]);
    const [dl] = t.deadLetters();
    expect(dl).to.include({ stage: 'strict', error: 'no bad keys', code: 'SEDA_STAGE_PROCESS', topic: 'readings', partition: 0, offset: 1 });
    expect(dl.value!.toString()).to.equal('2');
    expect(t.counters.deadLetters).to.equal(1);
  });

  it('skips retries for a SedaError that cannot be retried', async () => {
    let calls = 0;
    const stage = defineStage({
      name: 'validator',
      input: { topic: 'in' },
      retry: { attempts: 5, backoffMs: 1 },
      process() {
        calls++;
        throw new SedaError('SEDA_READING_INVALID', 'kwh is negative', { canRetry: false });
      },
    });
    const t = testStage(stage);
    await t.send({ key: 'm', value: { kwh: -1 } });
    expect(calls).to.equal(1);
    expect(t.deadLetters()[0]).to.include({ code: 'SEDA_READING_INVALID', error: 'kwh is negative' });
  });

  it('dead-letters bytes the input codec cannot decode, at once', async () => {
    let calls = 0;
    const stage = defineStage({ name: 'json', input: { topic: 'in', codec: 'json' }, process() { calls++; } });
    const t = testStage(stage);
    await t.sendRaw([{ key: 'k', value: '{"kwh": ' }, { key: 'k', value: '{"kwh": 1}' }]);
    expect(calls).to.equal(1);
    expect(t.deadLetters().map((d) => [d.code, d.offset])).to.deep.equal([['SEDA_CODEC_DECODE', 0]]);
  });

  it('refuses an emit to an undeclared output', async () => {
    const stage = defineStage({ name: 'typo', input: { topic: 'in' }, outputs: { out: { topic: 'o' } }, process(r, ctx) { ctx.emit('outt' as 'out', { value: 1 }); } });
    const t = testStage(stage);
    await t.send({ key: 'k', value: 1 });
    expect(t.deadLetters()[0].code).to.equal('SEDA_STAGE_OUTPUT_UNKNOWN');
  });

  it('keeps state per partition and commits it with the offsets', async () => {
    const stage = defineStage({
      name: 'count',
      input: { topic: 'in' },
      state: {},
      async process(r, ctx) {
        const key = String(r.key);
        ctx.state.put(key, (((await ctx.state.get(key)) as number | undefined) ?? 0) + 1);
      },
    });
    const t = testStage(stage, { partitions: 2 });
    await t.send([{ key: 'a', value: 0, partition: 0 }, { key: 'a', value: 0, partition: 0 }, { key: 'a', value: 0, partition: 1 }]);
    await t.send([{ key: 'a', value: 0, partition: 0 }]);
    expect(await t.state(0).get('a')).to.equal(3);
    expect(await t.state(1).get('a')).to.equal(1);
    expect(t.offsets()).to.deep.equal({ 0: 3, 1: 1 });
  });

  it('emits a window once when the watermark passes its end plus grace', async () => {
    const stage = defineStage({
      name: 'hourly',
      input: { topic: 'in' },
      outputs: { avg: { topic: 'avg' } },
      state: { windows: { size: '1h', grace: '5m' } },
      async process(r, ctx) {
        await ctx.windows.aggregate(String(r.key), r.timestamp, (acc?: { n: number }) => ({ n: (acc?.n ?? 0) + 1 }));
      },
      onWindow(w, ctx) {
        ctx.emit('avg', { key: w.key, value: { start: w.start, n: (w.value as { n: number }).n } });
      },
    });
    const t = testStage(stage);
    const h = 3_600_000;
    await t.send([{ key: 'm1', value: 0, timestamp: 10 }, { key: 'm1', value: 0, timestamp: h - 1 }]);
    await t.send({ key: 'm1', value: 0, timestamp: h + 4 * 60_000 }); // within grace: first window still open
    expect(t.outputs('avg')).to.have.lengthOf(0);
    await t.send({ key: 'm1', value: 0, timestamp: h + 5 * 60_000 }); // watermark reaches end + grace
    await t.send({ key: 'm1', value: 0, timestamp: h + 6 * 60_000 });
    expect(t.outputs('avg').map((o) => [o.key, o.value])).to.deep.equal([['m1', { start: 0, n: 2 }]]);
  });

  it('a record that closed windows and then failed closes them again on retry: each result once, by that record, the record counted once', async () => {
    let attempt = 0;
    const stage = defineStage({
      name: 'hourly-flaky',
      input: { topic: 'in' },
      outputs: { avg: { topic: 'avg' } },
      // Hopping: a record belongs to two windows, so a failure can come between its two folds.
      state: { windows: { size: '1h', advance: '30m' } },
      retry: { attempts: 3, backoffMs: 1, maxBackoffMs: 1 },
      async process(r, ctx) {
        const flaky = r.value === 'flaky';
        if (flaky) attempt++;
        let folds = 0;
        await ctx.windows.aggregate(String(r.key), r.timestamp, (acc?: { n: number }) => {
          // Second attempt: fails after the first of its two folds.
          if (flaky && attempt === 2 && ++folds === 2) throw new Error('flaky fold');
          return { n: (acc?.n ?? 0) + 1 };
        });
        // First attempt: fails after its aggregate moved the watermark and closed two windows.
        if (flaky && attempt === 1) throw new Error('flaky after closing');
      },
      onWindow(w, ctx) {
        ctx.emit('avg', { key: w.key, value: { start: w.start, n: (w.value as { n: number }).n } });
      },
    });
    const t = testStage(stage);
    const m = 60_000;
    await t.send([
      { key: 'm1', value: 'ok', timestamp: 40 * m }, // windows [0,60) [30,90)
      { key: 'm1', value: 'flaky', timestamp: 95 * m }, // [60,120) [90,150); closes [0,60) [30,90)
      { key: 'm1', value: 'ok', timestamp: 100 * m }, // [60,120) [90,150)
      { key: 'm1', value: 'ok', timestamp: 200 * m }, // [150,210) [180,240); closes [60,120) [90,150)
    ]);
    expect(attempt).to.equal(3);
    expect(t.counters.retries).to.equal(2);
    expect(t.deadLetters()).to.have.lengthOf(0);
    const avg = t.outputs('avg');
    expect(avg.map((o) => o.value)).to.deep.equal([
      { start: 0, n: 1 },
      { start: 30 * m, n: 1 },
      { start: 60 * m, n: 2 }, // 95m and 100m: the flaky record counted once
      { start: 90 * m, n: 2 },
    ]);
    // The windows the flaky record closes are emitted by it (offset 1), as without the failures.
    expect(avg.map((o) => `${o.lineage?.offset}:${o.lineage?.index}`)).to.deep.equal(['1:0', '1:1', '3:0', '3:1']);
  });
});
