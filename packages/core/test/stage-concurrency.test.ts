import { expect } from 'chai';
import type { Transform } from 'node:stream';
import { createMemoryState, defineStage, SedaError, type InputBatch, type OutputBatch } from '../src/index.js';

/** A batch of `n` records of one partition, values `<partition>:<offset>`. */
function batch(partition: number, from: number, n: number, timestamp = (o: number) => o): InputBatch {
  const records = Array.from({ length: n }, (_, i) => {
    const offset = from + i;
    const value = Buffer.from(JSON.stringify(`${partition}:${offset}`));
    return { topic: 'in', partition, offset, key: Buffer.from(`k${partition}`), value, timestamp: timestamp(offset), size: value.length };
  });
  return { topic: 'in', partition, records, nextOffset: from + n } as InputBatch;
}

/** Writes the batches (respecting backpressure) and collects every output batch until the end. */
async function run(t: Transform, batches: InputBatch[], onOut: (out: OutputBatch) => Promise<void> | void = () => {}): Promise<OutputBatch[]> {
  const outs: OutputBatch[] = [];
  const ended = new Promise<void>((resolve, reject) => {
    t.on('data', (out: OutputBatch) => {
      outs.push(out);
      void onOut(out);
    });
    t.on('end', resolve);
    t.on('error', reject);
  });
  for (const b of batches) if (!t.write(b)) await new Promise((resolve) => t.once('drain', resolve));
  t.end();
  await ended;
  return outs;
}

/** A stage whose async process records when each record's processing starts and ends. */
function probe(delayMs: (value: string) => number) {
  const events: Array<{ at: 'start' | 'end'; value: string }> = [];
  let active = 0;
  let maxActive = 0;
  const activePartitions = new Set<string>();
  let sameTime = 0;
  const stage = defineStage({
    name: 'probe',
    input: { topic: 'in' },
    outputs: { out: { topic: 'out' } },
    async process(r, ctx) {
      const value = r.value as string;
      const partition = value.split(':')[0];
      if (activePartitions.has(partition)) sameTime++;
      activePartitions.add(partition);
      maxActive = Math.max(maxActive, ++active);
      events.push({ at: 'start', value });
      await new Promise((resolve) => setTimeout(resolve, delayMs(value)));
      events.push({ at: 'end', value });
      active--;
      activePartitions.delete(partition);
      ctx.emit('out', { value });
    },
  });
  return { stage, events, stats: () => ({ maxActive, sameTime }) };
}

describe('stage transform: concurrency across partitions', () => {
  it('processes batches of up to `concurrency` partitions at once, never two of one partition, each partition in order', async () => {
    // Partition 0 is slow, so later batches of other partitions overtake it.
    const p = probe((v) => (v.startsWith('0:') ? 8 : 1));
    const batches = [batch(0, 0, 5), batch(1, 0, 5), batch(2, 0, 5), batch(3, 0, 5), batch(0, 5, 5), batch(1, 5, 5), batch(2, 5, 5), batch(3, 5, 5)];
    const outs = await run(p.stage.createTransform({ concurrency: 3 }), batches);
    expect(p.stats().maxActive, 'partitions processed at once').to.equal(3);
    expect(p.stats().sameTime, 'records of one partition processed at once').to.equal(0);
    for (let part = 0; part < 4; part++) {
      const mine = outs.filter((o) => o.partition === part);
      expect(mine.map((o) => o.nextOffset)).to.deep.equal([5, 10]);
      const values = mine.flatMap((o) => o.messages.map((m) => JSON.parse(String(m.value)) as string));
      expect(values).to.deep.equal(Array.from({ length: 10 }, (_, i) => `${part}:${i}`));
    }
    // Output batches leave as they finish: a fast partition's second batch before the slow one's first.
    const order = outs.map((o) => `${o.partition}@${o.nextOffset}`);
    expect(order.indexOf('1@5')).to.be.below(order.indexOf('0@5'));
  });

  it('processes one batch at a time by default', async () => {
    const p = probe(() => 1);
    const outs = await run(p.stage.createTransform(), [batch(0, 0, 3), batch(1, 0, 3), batch(2, 0, 3)]);
    expect(p.stats().maxActive).to.equal(1);
    expect(outs.map((o) => o.partition)).to.deep.equal([0, 1, 2]);
  });

  it('ends only after every batch in flight was pushed', async () => {
    const p = probe((v) => (v.startsWith('2:') ? 20 : 1));
    const outs = await run(p.stage.createTransform({ concurrency: 4 }), [batch(0, 0, 2), batch(1, 0, 2), batch(2, 0, 2)]);
    expect(outs.map((o) => o.partition).sort()).to.deep.equal([0, 1, 2]);
  });

  it('keeps windowed state of each partition apart: the same results at concurrency 4 as at 1', async () => {
    const windows = (concurrency: number) => {
      const state = createMemoryState();
      const stage = defineStage({
        name: 'hourly',
        input: { topic: 'in' },
        outputs: { avg: { topic: 'avg' } },
        state: { windows: { size: '1h', grace: '0s' } },
        async process(r, ctx) {
          // Yield between reading and writing, so partitions interleave.
          await new Promise((resolve) => setImmediate(resolve));
          await ctx.windows.aggregate(String(r.key), r.timestamp, (acc?: { n: number; last: string }) => ({ n: (acc?.n ?? 0) + 1, last: r.value as string }));
        },
        onWindow(w, ctx) {
          ctx.emit('avg', { key: w.key, value: { start: w.start, ...(w.value as object) } });
        },
      });
      const batches: InputBatch[] = [];
      // 4 partitions, 6 batches each of 50 records 3 minutes apart: several hours of windows.
      for (let from = 0; from < 300; from += 50) for (let part = 0; part < 4; part++) batches.push(batch(part, from, 50, (o) => o * 180_000 + part));
      return run(stage.createTransform({ state, concurrency }), batches, (out) => state.commit('in', out.partition, out.state, out.nextOffset)).then((outs) => ({ outs, state }));
    };
    const one = await windows(1);
    const four = await windows(4);
    const results = (outs: OutputBatch[]) =>
      outs
        .flatMap((o) => o.messages.map((m) => `${String(m.key)} ${String(m.value)}`))
        .sort();
    expect(results(four.outs)).to.deep.equal(results(one.outs));
    expect(results(one.outs).length).to.equal(4 * 14); // 15 hours of readings per meter, the last still open
    for (let part = 0; part < 4; part++) expect(four.state.entries('in', part)).to.deep.equal(one.state.entries('in', part));
  });

  it('refuses a concurrency that is not a whole number of 1 or more', () => {
    const p = probe(() => 0);
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => p.stage.createTransform({ concurrency: bad }), String(bad))
        .to.throw(SedaError, /concurrency must be a whole number/)
        .with.property('code', 'SEDA_OPTIONS_INVALID');
    }
  });
});
