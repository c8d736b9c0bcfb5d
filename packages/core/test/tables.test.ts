import { expect } from 'chai';
import { defineStage, SedaError, TableQueue, tablePositionKey, testStage, type TableRecord } from '../src/index.js';

const rec = (offset: number, timestamp: number, key = 'k', value: unknown = offset): TableRecord => ({ offset, timestamp, key, value });

describe('TableQueue (the stream-table ordering rule)', () => {
  it('applies the head records stamped at or before the stream record, in offset order', () => {
    const q = new TableQueue(0);
    for (const r of [rec(0, 10), rec(1, 20), rec(2, 30)]) q.push(r);
    expect(q.take(5).map((r) => r.offset)).to.deep.equal([]);
    expect(q.take(20).map((r) => r.offset), 'a tie is applied first').to.deep.equal([0, 1]);
    expect(q.take(20)).to.deep.equal([]);
    expect(q.take(31).map((r) => r.offset)).to.deep.equal([2]);
    expect(q.size).to.equal(0);
  });

  it('a head record newer than the stream record holds back older ones behind it', () => {
    const q = new TableQueue(0);
    for (const r of [rec(0, 50), rec(1, 10)]) q.push(r);
    expect(q.take(20)).to.deep.equal([]);
    expect(q.take(50).map((r) => r.offset)).to.deep.equal([0, 1]);
  });

  it('decides a timestamp only once a fetched record is newer than it', () => {
    const q = new TableQueue(0);
    expect(q.decides(0), 'nothing fetched').to.equal(false);
    q.push(rec(0, 10));
    expect(q.decides(10), 'a record at the same time may be followed by more of that time').to.equal(false);
    expect(q.decides(9)).to.equal(true);
    q.take(10);
    expect(q.decides(9), 'applied records tell nothing about the next').to.equal(false);
    q.push(rec(1, 40));
    q.push(rec(2, 15));
    expect(q.decides(20), 'a newer record anywhere in the buffer ends what applies before 20').to.equal(true);
  });

  it('what is applied depends on the stream timestamps only, however the fetches were split', () => {
    const records = Array.from({ length: 200 }, (_, i) => rec(i, (i * 7919) % 500));
    const stream = Array.from({ length: 300 }, (_, i) => (i * 104729) % 600);
    const applyAll = (chunk: number): number[][] => {
      const q = new TableQueue(0);
      let fetched = 0;
      const out: number[][] = [];
      for (const t of stream) {
        // Fetch just enough for the rule to be decided (or everything), in chunks of `chunk`.
        while (fetched < records.length && !q.decides(t)) for (const r of records.slice(fetched, (fetched += chunk))) q.push(r);
        out.push(q.take(t).map((r) => r.offset));
      }
      return out;
    };
    const one = applyAll(1);
    expect(applyAll(7)).to.deep.equal(one);
    expect(applyAll(200)).to.deep.equal(one);
    expect(one.flat().length).to.be.above(100);
  });

  it('ignores a record fetched again below what it already has (a re-assignment), and starts at a stored position', () => {
    const q = new TableQueue(5);
    q.push(rec(3, 1));
    expect(q.size).to.equal(0);
    q.push(rec(5, 1));
    q.push(rec(5, 1));
    expect(q.size).to.equal(1);
    expect(q.fetchedTo).to.equal(6);
  });
});

describe('tables in the test driver', () => {
  const join = defineStage({
    name: 'join',
    input: { topic: 'readings' },
    outputs: { out: { topic: 'priced' } },
    tables: { tariffs: { topic: 'tariffs' }, sites: { topic: 'sites', global: true } },
    async process(record, ctx) {
      const t = (await ctx.tables.tariffs.get(record.key)) as { price: number } | undefined;
      const s = (await ctx.tables.sites.get((record.value as { site: string }).site)) as { region: string } | undefined;
      ctx.emit('out', { value: { price: t?.price ?? null, region: s?.region ?? null } });
    },
  });

  it('joins each record against the table as of its timestamp; tombstones delete; the position is stored with the state', async () => {
    const d = testStage(join, {
      tables: {
        tariffs: [
          { key: 'm1', value: { price: 10 }, timestamp: 100 },
          { key: 'm1', value: { price: 20 }, timestamp: 200 },
          { key: 'm1', value: null, timestamp: 300 },
        ],
        sites: [{ key: 's', value: { region: 'north' } }],
      },
    });
    await d.send([50, 100, 199, 200, 299, 300].map((timestamp) => ({ key: 'm1', value: { site: 's' }, timestamp })));
    expect(d.outputs('out').map((o) => (o.value as { price: number | null }).price)).to.deep.equal([null, 10, 10, 20, 20, null]);
    expect(d.outputs('out').every((o) => (o.value as { region: string }).region === 'north')).to.equal(true);
    expect(await d.state().get(tablePositionKey('tariffs'))).to.equal(3);
    await d.close();
  });

  it('defineStage: a table needs a topic; tables with a non-json state codec are refused', () => {
    const bad = (tables: unknown, state?: unknown) => () =>
      defineStage({ name: 'x', input: { topic: 'i' }, state: state as never, tables: tables as never, process() {} });
    expect(bad({ t: {} })).to.throw(SedaError, /table "t" needs a "topic"/);
    expect(bad({ t: { topic: 'x' } }, { codec: 'string' })).to.throw(SedaError, /json state codec/);
    expect(defineStage({ name: 'x', input: { topic: 'i' }, tables: { t: { topic: 'x' } }, process() {} }).hasState, 'a co-partitioned table makes a stateful stage').to.equal(true);
    expect(defineStage({ name: 'x', input: { topic: 'i' }, tables: { t: { topic: 'x', global: true } }, process() {} }).hasState).to.equal(false);
  });

  it('defineStage: a stage reading a global table is not deterministic; exactly-once or deterministic: true with one is refused, naming the table', () => {
    const def = (extra: object) => () =>
      defineStage({ name: 'g', input: { topic: 'i' }, state: {}, tables: { sites: { topic: 's', global: true }, tariffs: { topic: 't' } }, ...extra, process() {} });
    expect(def({})().deterministic, 'global table').to.equal(false);
    expect(defineStage({ name: 'c', input: { topic: 'i' }, tables: { tariffs: { topic: 't' } }, process() {} }).deterministic, 'co-partitioned only').to.equal(true);
    expect(def({ mode: 'exactly-once' })).to.throw(SedaError, /mode "exactly-once" needs a deterministic stage, and global table "sites" is not ordered with the stream; use mode "state"/);
    expect(def({ deterministic: true })).to.throw(SedaError, /"deterministic: true" cannot hold with global table "sites"/);
  });

  it('ctx.tables in a stage without tables is a clear error', async () => {
    const s = defineStage({ name: 'nt', input: { topic: 'i' }, outputs: { out: { topic: 'o' } }, async process(_r, ctx) { await ctx.tables.x.get('k'); } });
    const d = testStage(s);
    await d.send({ key: 'k', value: 1 });
    expect(d.deadLetters()[0]?.code).to.equal('SEDA_STAGE_NO_TABLES');
    await d.close();
  });
});
