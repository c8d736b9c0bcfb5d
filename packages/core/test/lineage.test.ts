import { expect } from 'chai';
import type { Transform } from 'node:stream';
import {
  createMemoryState,
  defineStage,
  formatLineage,
  idempotencyKey,
  lineageHeader,
  parseLineage,
  positionKeyPrefix,
  testStage,
  type InputBatch,
  type OutputBatch,
  type RawRecord,
  type Stage,
} from '../src/index.js';

const HOUR = 3_600_000;

/** A stage that emits two outputs per even input and one per odd, to two outputs. */
const splitter = defineStage({
  name: 'splitter',
  input: { topic: 'in' },
  outputs: { a: { topic: 'a' }, b: { topic: 'b' } },
  process(r, ctx) {
    const v = r.value as number;
    ctx.emit('a', { value: v });
    if (v % 2 === 0) ctx.emit('b', { key: 'even', value: v, headers: { [lineageHeader]: 'forged/x:0:0:0', note: 'kept' } });
  },
});

/** Per-key running total in state (exactly-once capable). */
const totals = defineStage({
  name: 'totals',
  input: { topic: 'mid' },
  state: {},
  async process(r, ctx) {
    const key = String(r.key);
    ctx.state.put(key, (((await ctx.state.get(key)) as number | undefined) ?? 0) + (r.value as number));
  },
});

const lin = (group: string, topic: string, partition: number, offset: number, index: number): string => formatLineage({ group, topic, partition, offset, index });

describe('lineage', () => {
  describe('header format', () => {
    it('round-trips, as a string and as bytes, even when the group contains / and :', () => {
      const l = { group: 'team/a:billing', topic: 'electric-readings', partition: 3, offset: 123456789012, index: 2 };
      const text = formatLineage(l);
      expect(text).to.equal('team/a:billing/electric-readings:3:123456789012:2');
      expect(parseLineage(text)).to.deep.equal(l);
      expect(parseLineage(Buffer.from(text))).to.deep.equal(l);
    });

    it('refuses values that are not a lineage', () => {
      for (const bad of ['', 'x', 'g/t:1:2', 'g/t:1:2:', 'g/t:1::0', 'gt:1:2:3', 'g/:1:2:3', 'g/t:a:2:3', 'g/t:1:2:3x', 'g/t:1:99999999999999999:0']) {
        expect(parseLineage(bad), bad).to.equal(undefined);
      }
    });
  });

  describe('on outputs', () => {
    it('every output carries group, input topic, partition, offset and its index among that input\'s outputs; a stage cannot forge it', async () => {
      const t = testStage(splitter, { group: 'g1', partitions: 2 });
      await t.send([
        { key: 'k', value: 1, partition: 1 },
        { key: 'k', value: 2, partition: 1 },
        { key: 'k', value: 4, partition: 0 },
      ]);
      expect(t.outputs('a').map((o) => o.headers[lineageHeader])).to.deep.equal(['g1/in:0:0:0', 'g1/in:1:0:0', 'g1/in:1:1:0']);
      expect(t.outputs('b').map((o) => o.headers[lineageHeader])).to.deep.equal(['g1/in:0:0:1', 'g1/in:1:1:1']);
      expect(t.outputs('b')[0].headers.note).to.equal('kept');
      expect(t.outputs('b')[0].lineage).to.deep.equal({ group: 'g1', topic: 'in', partition: 0, offset: 0, index: 1 });
    });

    it('dead letters carry their own lineage, and the failed record\'s upstream lineage as seda.dlq.lineage', async () => {
      const stage = defineStage({
        name: 'strict',
        input: { topic: 'in' },
        outputs: { out: { topic: 'out' } },
        retry: { attempts: 2, backoffMs: 1 },
        process(r, ctx) {
          ctx.emit('out', { value: 'before the throw' });
          if (r.value === 'bad') throw new Error('bad value');
        },
      });
      const t = testStage(stage);
      await t.send([{ key: 'k', value: 'ok' }, { key: 'k', value: 'bad', headers: { [lineageHeader]: 'up/src:4:77:1' } }]);
      const [dl] = t.deadLetters();
      expect(dl.lineage).to.deep.equal({ group: 'strict', topic: 'in', partition: 0, offset: 1, index: 0 });
      expect(dl.headers['seda.dlq.lineage']).to.equal('up/src:4:77:1');
      await t.sendRaw({ key: 'k', value: '{not json' });
      expect(t.deadLetters()[1].lineage).to.include({ offset: 2, index: 0 });
    });

    it('a replay gives the same lineage, whatever the batch boundaries and failed attempts', async () => {
      let fail = true;
      const flaky = defineStage({
        name: 'flaky',
        input: { topic: 'in' },
        outputs: { out: { topic: 'out' } },
        retry: { attempts: 3, backoffMs: 1 },
        process(r, ctx) {
          for (let i = 0; i < (r.value as number) % 3; i++) ctx.emit('out', { value: `${String(r.value)}.${i}` });
          if (r.value === 8 && fail) {
            fail = false;
            throw new Error('transient');
          }
        },
      });
      const inputs = Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 3}`, value: i }));
      const once = testStage(flaky);
      await once.send(inputs);
      fail = true;
      const again = testStage(flaky);
      for (let i = 0; i < inputs.length; i += 3) await again.send(inputs.slice(i, i + 3));
      const seen = (t: ReturnType<typeof testStage>): string[] => t.outputs('out').map((o) => `${String(o.value)}@${o.headers[lineageHeader]}`);
      expect(seen(again)).to.deep.equal(seen(once));
      expect(seen(once)).to.include('8.0@flaky/in:0:8:0').and.include('8.1@flaky/in:0:8:1');
      expect(once.counters.retries + again.counters.retries).to.equal(2);
    });

    it('null-key outputs go to a partition chosen from the input position when the partition count is known', () => {
      const stage = defineStage({ name: 'nokey', input: { topic: 'in' }, outputs: { out: { topic: 'out' } }, process(r, ctx) { ctx.emit('out', { key: null, value: 1 }); ctx.emit('out', { key: 'k', value: 2 }); } });
      const partitionsOf = async (offsets: number[]): Promise<Array<number | undefined>> => {
        const tr = stage.createTransform({ partitions: { out: 5 } });
        const out = await runBatch(tr, batch('in', 2, offsets.map((o) => raw('in', 2, o, null))));
        return out.messages.map((m) => m.partition);
      };
      return partitionsOf([0, 511, 512, 5000]).then((p) => {
        // (input partition + floor(offset / 512)) % partitions; keyed outputs are left to the partitioner.
        expect(p).to.deep.equal([2, undefined, 2, undefined, 3, undefined, (2 + 9) % 5, undefined]);
      });
    });
  });

  describe('deduplication (exactly-once)', () => {
    const from = (stream: string, offset: number, index: number, key: string, value: number) => ({ key, value, headers: { [lineageHeader]: `${stream}:${offset}:${index}` } });

    it('applies each lineage once: repeats are skipped and counted, new ones applied, per stream', async () => {
      const t = testStage(totals, { mode: 'exactly-once' });
      await t.send([from('a/src:0', 0, 0, 'm', 1), from('a/src:0', 1, 0, 'm', 2), from('a/src:0', 1, 1, 'm', 4)]);
      // A replay of the upstream from offset 1 (duplicates), then new records; another stream interleaved.
      await t.send([from('a/src:0', 1, 0, 'm', 2), from('a/src:1', 0, 0, 'm', 100), from('a/src:0', 1, 1, 'm', 4), from('a/src:0', 2, 0, 'm', 8)]);
      await t.send([from('a/src:0', 0, 0, 'm', 1), from('a/src:0', 2, 0, 'm', 8), from('a/src:1', 0, 0, 'm', 100), from('a/src:0', 3, 0, 'm', 16)]);
      expect(await t.state().get('m')).to.equal(1 + 2 + 4 + 100 + 8 + 16);
      expect(t.counters.duplicatesSkipped).to.equal(5);
      expect(t.counters.recordsIn).to.equal(11);
      const positions = await t.state().entries({ prefix: positionKeyPrefix });
      expect(positions).to.deep.equal([
        [`${positionKeyPrefix}a/src:0`, [3, 0]],
        [`${positionKeyPrefix}a/src:1`, [0, 0]],
      ]);
    });

    it('a subsequence of a stream (a re-keying upstream spreads one source partition over several partitions) is applied in full', async () => {
      const t = testStage(totals, { mode: 'exactly-once', partitions: 2 });
      // Source offsets 0..9 of one stream, spread over two downstream partitions; each sees an ordered subsequence with gaps.
      const p0 = [0, 3, 4, 8].map((o) => ({ ...from('up/src:0', o, 0, 'm', 1 << o), partition: 0 }));
      const p1 = [1, 2, 5, 6, 7, 9].map((o) => ({ ...from('up/src:0', o, 0, 'm', 1 << o), partition: 1 }));
      await t.send([...p0, ...p1]);
      // The upstream replays from offset 4: both partitions get their duplicates again, in order.
      await t.send([...p0.slice(2), ...p1.slice(2)]);
      expect(await t.state(0).get('m')).to.equal(1 + 8 + 16 + 256);
      expect(await t.state(1).get('m')).to.equal(2 + 4 + 32 + 64 + 128 + 512);
      expect(t.counters.duplicatesSkipped).to.equal(2 + 4);
    });

    it('two upstream stages writing into one topic from the same source partition are two streams: both applied in full', async () => {
      const t = testStage(totals, { mode: 'exactly-once' });
      // "billing" and "audit" both read src:0; their outputs interleave on this stage's input.
      await t.send([from('billing/src:0', 5, 0, 'm', 1), from('audit/src:0', 0, 0, 'm', 10), from('billing/src:0', 6, 0, 'm', 2), from('audit/src:0', 1, 0, 'm', 20)]);
      expect(await t.state().get('m')).to.equal(33);
      expect(t.counters.duplicatesSkipped).to.equal(0);
    });

    it('records without lineage are applied as they come and counted as unlineaged', async () => {
      const t = testStage(totals, { mode: 'exactly-once' });
      await t.send([{ key: 'm', value: 1 }, { key: 'm', value: 1 }, { key: 'm', value: 5, headers: { [lineageHeader]: 'not a lineage' } }]);
      expect(await t.state().get('m')).to.equal(7);
      expect(t.counters.unlineaged).to.equal(3);
      expect(t.counters.duplicatesSkipped).to.equal(0);
    });

    it('outside exactly-once mode nothing is skipped', async () => {
      const t = testStage(totals);
      await t.send([from('a/src:0', 0, 0, 'm', 1), from('a/src:0', 0, 0, 'm', 1)]);
      expect(await t.state().get('m')).to.equal(2);
    });

    it('positions are written with the batch\'s state: a batch whose commit never happened is applied again on replay, once', async () => {
      const state = createMemoryState();
      const tr = totals.createTransform({ mode: 'exactly-once', state });
      const rec = (offset: number, upstream: number, value: number): RawRecord => ({
        ...raw('mid', 0, offset, Buffer.from('m'), Buffer.from(String(value))),
        headers: [{ [lineageHeader]: `up/src:0:${upstream}:0` }],
      });
      const first = await runBatch(tr, batch('mid', 0, [rec(0, 0, 1), rec(1, 1, 2)]));
      await state.commit('mid', 0, first.state, first.nextOffset);
      // Processed and delivered, then the process died before its state write: the change set is lost.
      await runBatch(tr, batch('mid', 0, [rec(2, 2, 4), rec(3, 2, 4)]));
      await state.release('mid', 0);
      // Restart: the input is read again from the stored offset, plus an upstream duplicate of offset 1.
      const replay = await runBatch(tr, batch('mid', 0, [rec(2, 2, 4), rec(3, 2, 4), rec(4, 1, 2)]));
      await state.commit('mid', 0, replay.state, replay.nextOffset);
      expect(state.entries('mid', 0)).to.deep.equal([
        [`${positionKeyPrefix}up/src:0`, [2, 0]],
        ['m', 1 + 2 + 4],
      ]);
    });

    it('is refused without a state store', () => {
      expect(() => totals.createTransform({ mode: 'exactly-once' })).to.throw().with.property('code', 'SEDA_STAGE_NO_STATE');
    });

    it('a definition asking exactly-once of a non-deterministic stage is refused', () => {
      expect(() =>
        defineStage({ name: 'dice', input: { topic: 'in' }, state: {}, mode: 'exactly-once', deterministic: false, process() {} }),
      ).to.throw().with.property('code', 'SEDA_STAGE_INVALID');
    });
  });

  describe('window results', () => {
    const hourly = (grace: string): Stage =>
      defineStage({
        name: 'hourly',
        input: { topic: 'in' },
        outputs: { out: { topic: 'out' } },
        state: { windows: { size: '1h', grace } },
        async process(r, ctx) {
          await ctx.windows.aggregate(String(r.key), r.timestamp, (acc?: number) => (acc ?? 0) + (r.value as number));
          ctx.emit('out', { value: `seen ${String(r.value)}` });
        },
        onWindow(w, ctx) {
          ctx.emit('out', { value: `${w.key}@${w.start}=${String(w.value)}` });
        },
      });

    it('are emitted by the record whose event time moved the watermark past end + grace, with its lineage, whatever the batch boundaries', async () => {
      // Three keys over four hours, slightly out of order.
      const inputs = Array.from({ length: 60 }, (_, i) => ({ key: `m${i % 3}`, value: i, timestamp: Math.floor(i / 15) * HOUR + ((i * 7919) % 15) * 60_000 + (i % 4 === 0 ? -120_000 : 0) + 200_000 }));
      const run = async (splits: number[]): Promise<string[]> => {
        const t = testStage(hourly('5m'));
        let at = 0;
        for (const n of splits) {
          await t.send(inputs.slice(at, at + n));
          at += n;
        }
        await t.send(inputs.slice(at));
        return t.outputs('out').map((o) => `${String(o.value)} <- ${o.headers[lineageHeader]}`);
      };
      const whole = await run([]);
      expect(await run(Array(60).fill(1))).to.deep.equal(whole);
      expect(await run([7, 13, 1, 22, 9])).to.deep.equal(whole);
      // Window [0, 1h) of m0 closes when the watermark reaches 1h + 5m, in the aggregate call of that record, after its own fold.
      const closer = inputs.findIndex((r) => r.timestamp >= HOUR + 300_000);
      const closing = whole.filter((l) => l.startsWith('m0@0='));
      expect(closing).to.have.lengthOf(1);
      expect(closing[0]).to.match(new RegExp(` <- hourly/in:0:${closer}:[0-9]$`));
      expect(whole).to.include(`seen ${closer} <- hourly/in:0:${closer}:3`); // three windows closed before its own emission
    });

    it('a closed window leaves state in the aggregate call that moves the watermark past end + retention, even when nothing closes then', async () => {
      const stage = defineStage({
        name: 'kept',
        input: { topic: 'in' },
        state: { windows: { size: '1h', retention: '90m' } },
        async process(r, ctx) {
          await ctx.windows.aggregate('k', r.timestamp, (acc?: number) => (acc ?? 0) + 1);
        },
      });
      const t = testStage(stage);
      const starts = async (): Promise<number[]> => (await t.windows(0, 'k')).map((w) => w.start);
      await t.send([{ key: 'k', value: 0, timestamp: 0 }, { key: 'k', value: 0, timestamp: HOUR }]); // [0, 1h) closes
      await t.send({ key: 'k', value: 0, timestamp: 2 * HOUR }); // [1h, 2h) closes; [0, 1h) is kept until 2h30
      expect(await starts()).to.deep.equal([0, HOUR, 2 * HOUR]);
      await t.send({ key: 'k', value: 0, timestamp: 2.5 * HOUR - 1 });
      expect(await starts()).to.deep.equal([0, HOUR, 2 * HOUR]);
      await t.send({ key: 'k', value: 0, timestamp: 2.5 * HOUR }); // nothing closes ([2h, 3h) is open), [0, 1h) expires
      expect(await starts()).to.deep.equal([HOUR, 2 * HOUR]);
      expect((await t.windows(0, 'k')).map((w) => w.final)).to.deep.equal([true, false]);
    });

    it('a window result inherits no key from the record that closed it', async () => {
      const stage = defineStage({
        name: 'w',
        input: { topic: 'in' },
        outputs: { out: { topic: 'out' } },
        state: { windows: { size: '1h' } },
        async process(r, ctx) {
          await ctx.windows.aggregate(String(r.key), r.timestamp, (acc?: number) => (acc ?? 0) + 1);
        },
        onWindow(w, ctx) {
          ctx.emit('out', { value: w.value });
        },
      });
      const t = testStage(stage);
      await t.send([{ key: 'a', value: 0, timestamp: 0 }, { key: 'b', value: 0, timestamp: HOUR }]);
      expect(t.outputs('out').map((o) => [o.key, o.value, o.lineage?.offset])).to.deep.equal([[null, 1, 1]]);
    });
  });

  it('idempotencyKey is the upstream lineage, or the record\'s own position without one', () => {
    expect(idempotencyKey({ topic: 't', partition: 1, offset: 9, headers: { [lineageHeader]: Buffer.from(lin('g', 'src', 0, 4, 1)) } })).to.equal('g/src:0:4:1');
    expect(idempotencyKey({ topic: 't', partition: 1, offset: 9, headers: {} })).to.equal('t:1:9');
  });
});

function raw(topic: string, partition: number, offset: number, key: Buffer | null, value: Buffer = Buffer.from('1')): RawRecord {
  return { topic, partition, offset, key, value, timestamp: 0, size: value.length };
}

function batch(topic: string, partition: number, records: RawRecord[]): InputBatch {
  return { topic, partition, records, nextOffset: records[records.length - 1].offset + 1 };
}

function runBatch(tr: Transform, b: InputBatch): Promise<OutputBatch> {
  return new Promise((resolve, reject) => {
    tr.once('data', resolve);
    tr.once('error', reject);
    tr.write(b);
  });
}
