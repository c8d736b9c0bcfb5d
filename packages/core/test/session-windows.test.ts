import { expect } from 'chai';
import { createMemoryState, createWindows, defineStage, SedaError, testStage, type SessionWindowSpec, type WindowResult } from '../src/index.js';

const m = 60_000;
interface Agg {
  n: number;
  sum: number;
}
const fold = (v: number) => (acc?: Agg): Agg => ({ n: (acc?.n ?? 0) + 1, sum: (acc?.sum ?? 0) + v });
const merge = (a: Agg, b: Agg): Agg => ({ n: a.n + b.n, sum: a.sum + b.sum });

/** A stage counting readings per session of its key; emits each closed session as [key, start, end, n, sum]. */
function sessions(session: SessionWindowSpec['session'], options: { noMerge?: boolean; failOn?: number } = {}) {
  let failures = 0;
  return defineStage({
    name: 'sessions',
    input: { topic: 'in' },
    outputs: { out: { topic: 'out' } },
    state: { windows: { session } },
    retry: { attempts: 3, backoffMs: 1, maxBackoffMs: 1 },
    async process(r, ctx) {
      const v = r.value as number;
      await ctx.windows.aggregate(String(r.key), r.timestamp, fold(v), options.noMerge ? undefined : merge);
      // Fails once after its aggregate merged and closed sessions: the retry must redo it all exactly once.
      if (v === options.failOn && failures++ === 0) throw new Error('flaky after aggregate');
    },
    onWindow(w, ctx) {
      const a = w.value as Agg;
      ctx.emit('out', { key: w.key, value: [w.key, w.start / m, w.end / m, a.n, a.sum] });
    },
  });
}

const rec = (key: string, minute: number, value = 1) => ({ key, value, timestamp: minute * m });

describe('session windows', () => {
  it('groups records of a key at most gap apart into one session and emits it once, when the watermark passes last + gap + grace', async () => {
    const t = testStage(sessions({ gap: '30m', grace: '5m' }));
    await t.send([rec('a', 0), rec('a', 10), rec('a', 40)]); // one session [0, 40]
    await t.send(rec('b', 74)); // watermark 74 < 40 + 30 + 5
    expect(t.outputs('out')).to.have.lengthOf(0);
    await t.send(rec('b', 75)); // reaches 75: closes a's session
    await t.send(rec('b', 200)); // closes b's [74, 75] (75 + 35 <= 200)
    expect(t.outputs('out').map((o) => o.value)).to.deep.equal([['a', 0, 40, 3, 3], ['b', 74, 75, 2, 2]]);
  });

  it('starts a new session when a record is more than gap after the last one', async () => {
    const t = testStage(sessions({ gap: '30m' }));
    await t.send([rec('a', 0), rec('a', 30), rec('a', 61), rec('a', 200)]);
    expect(t.outputs('out').map((o) => o.value)).to.deep.equal([['a', 0, 30, 2, 2], ['a', 61, 61, 1, 1]]);
    expect((await t.windows(0, 'a')).map((w) => [w.start / m, w.end / m, w.final])).to.deep.equal([[0, 30, true], [61, 61, true], [200, 200, false]]);
  });

  it('a late record that bridges two open sessions merges them with the merge function, oldest first, and the result is emitted once', async () => {
    const order: string[] = [];
    const stage = defineStage({
      name: 'bridge',
      input: { topic: 'in' },
      outputs: { out: { topic: 'out' } },
      state: { windows: { session: { gap: '10m', grace: '30m' } } },
      async process(r, ctx) {
        await ctx.windows.aggregate(String(r.key), r.timestamp, (acc?: string) => `${acc ?? ''}${String(r.value)}`, (a: string, b: string) => {
          order.push(`${a}+${b}`);
          return `${a}${b}`;
        });
      },
      onWindow(w, ctx) {
        ctx.emit('out', { key: w.key, value: [w.start / m, w.end / m, w.value] });
      },
    });
    const t = testStage(stage);
    await t.send([{ key: 'a', value: 'x', timestamp: 0 }, { key: 'a', value: 'y', timestamp: 15 * m }, { key: 'a', value: 'z', timestamp: 30 * m }]);
    expect((await t.windows(0, 'a')).map((w) => w.start / m)).to.deep.equal([0, 15, 30]);
    await t.send({ key: 'a', value: 'B', timestamp: 8 * m }); // within 10m of [0] and [15]: one session [0, 15]
    await t.send({ key: 'a', value: 'C', timestamp: 22 * m }); // bridges [0, 15] and [30]
    expect(order).to.deep.equal(['x+y', 'xyB+z']); // merged, then the bridging record folded in
    expect((await t.windows(0, 'a')).map((w) => [w.start / m, w.end / m, w.value])).to.deep.equal([[0, 30, 'xyBzC']]);
    await t.send({ key: 'b', value: 'q', timestamp: 100 * m });
    expect(t.outputs('out').map((o) => o.value)).to.deep.equal([[0, 30, 'xyBzC']]);
  });

  it('a record that extends a session backwards moves its start; the old entry leaves state', async () => {
    const t = testStage(sessions({ gap: '10m', grace: '20m' }));
    await t.send([rec('a', 30), rec('a', 25), rec('a', 16)]);
    expect((await t.windows(0, 'a')).map((w) => [w.start / m, w.end / m, (w.value as Agg).n])).to.deep.equal([[16, 30, 3]]);
  });

  it('never reopens a closed session: a record within gap of it but still in grace of its own starts a new session', async () => {
    const t = testStage(sessions({ gap: '10m', grace: '5m' }));
    await t.send([rec('a', 0), rec('b', 15)]); // closes a [0] at 0 + 10 + 5
    await t.send(rec('a', 9)); // within gap of the closed [0]; 9 + 15 > 15: accepted into a new session
    await t.send(rec('b', 100));
    expect(t.outputs('out').map((o) => o.value)).to.deep.equal([['a', 0, 0, 1, 1], ['a', 9, 9, 1, 1], ['b', 15, 15, 1, 1]]);
    expect(t.deadLetters()).to.have.lengthOf(0);
  });

  it('dead-letters a record that joins no open session and whose own session would already be closed (SEDA_WINDOW_LATE)', async () => {
    const t = testStage(sessions({ gap: '10m', grace: '5m' }));
    await t.send([rec('a', 100), rec('a', 80)]); // 80 + 15 <= 100, and 20 minutes from [100]
    expect(t.deadLetters().map((d) => d.code)).to.deep.equal(['SEDA_WINDOW_LATE']);
    await t.send(rec('a', 91)); // joins the open session [100]: accepted although old
    expect((await t.windows(0, 'a')).map((w) => [w.start / m, (w.value as Agg).n])).to.deep.equal([[91, 2]]);
  });

  it('drops late records when late is "drop", and counts them', async () => {
    const t = testStage(sessions({ gap: '10m', late: 'drop' }));
    await t.send([rec('a', 100), rec('a', 80)]);
    expect(t.deadLetters()).to.have.lengthOf(0);
    expect(t.counters.lateDropped).to.equal(1);
  });

  it('a record that merged and closed sessions and then failed does it again on retry: every session once, the record counted once', async () => {
    const t = testStage(sessions({ gap: '10m', grace: '30m' }, { failOn: 7 }));
    await t.send([rec('a', 0), rec('a', 15), rec('b', 0)]);
    await t.send([rec('a', 8, 7), rec('c', 60)]); // 8 bridges a's sessions, then fails once; 60 closes b's
    await t.send(rec('c', 200));
    expect(t.counters.retries).to.equal(1);
    expect(t.outputs('out').map((o) => o.value)).to.deep.equal([['b', 0, 0, 1, 1], ['a', 0, 15, 3, 9], ['c', 60, 60, 1, 1]]);
  });

  it('gives the same sessions and emissions however the input is cut into batches', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => rec(`k${i % 7}`, Math.floor(i * 1.7) + (i % 5 === 0 ? -6 : 0) + (i % 41 === 0 ? 40 : 0), i % 4));
    const run = async (size: number) => {
      const t = testStage(sessions({ gap: '5m', grace: '8m' }));
      for (let i = 0; i < rows.length; i += size) await t.send(rows.slice(i, i + size));
      return { out: t.outputs('out').map((o) => o.value), stored: await t.windows(0), dlq: t.deadLetters().length };
    };
    const one = await run(1);
    expect(one.out.length).to.be.above(5);
    expect(await run(17)).to.deep.equal(one);
    expect(await run(300)).to.deep.equal(one);
  });

  it('expires closed sessions once the watermark passes last + gap + retention', async () => {
    const t = testStage(sessions({ gap: '10m', retention: '1h' }));
    await t.send([rec('a', 0), rec('b', 30)]);
    expect((await t.windows(0)).map((w) => w.key)).to.deep.equal(['a', 'b']);
    await t.send(rec('b', 71)); // 0 + 10 + 60 <= 71: a's closed session leaves state
    expect((await t.windows(0)).map((w) => [w.key, w.start / m])).to.deep.equal([['b', 30], ['b', 71]]); // b's [30] kept until 100
  });

  it('refuses, at definition, a session spec without a positive gap or with time-window fields, listing each problem', () => {
    const define = (windows: unknown) => () =>
      defineStage({ name: 's', input: { topic: 'in' }, state: { windows: windows as SessionWindowSpec }, process() {} });
    expect(define({ session: { grace: '5m' } })).to.throw(SedaError, /"gap" is required/);
    expect(define({ session: { gap: '5m', late: 'keep' }, size: '1h' })).to.throw(/"late" must be "dlq" or "drop".*"size" cannot be combined/);
    try {
      define({ session: { gap: 0 } })();
      expect.fail('no error');
    } catch (err) {
      expect((err as SedaError).code).to.equal('SEDA_STAGE_INVALID');
    }
  });

  it('needs a merge function: without one every record is dead-lettered with SEDA_STAGE_INVALID', async () => {
    const t = testStage(sessions({ gap: '10m' }, { noMerge: true }));
    await t.send(rec('a', 0));
    expect(t.deadLetters().map((d) => d.code)).to.deep.equal(['SEDA_STAGE_INVALID']);
  });

  it('reads back through the engine what a partition stored: get by start, range by key', async () => {
    const state = createMemoryState();
    const engine = createWindows<Agg>({ session: { gap: '10m' } }, { onResult: () => {}, onLateDropped: () => {} });
    const batch = state.begin('in', 0);
    engine.bind(batch, 0);
    await engine.aggregate('a', 5 * m, fold(2), merge);
    await engine.aggregate('a', 12 * m, fold(3), merge);
    engine.flush();
    await state.commit('in', 0, batch.seal(), 2);
    const read = state.begin('in', 0);
    engine.bind(read, 0);
    expect(await engine.get('a', 5 * m)).to.deep.equal({ n: 2, sum: 5 });
    const all: WindowResult<Agg>[] = [];
    for await (const w of engine.range('a')) all.push(w);
    expect(all).to.deep.equal([{ key: 'a', start: 5 * m, end: 12 * m, value: { n: 2, sum: 5 }, final: false }]);
  });
});
