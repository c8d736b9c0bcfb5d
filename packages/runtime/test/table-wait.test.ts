import { expect } from 'chai';
import { silentLogger, TableQueue, type Logger, type TableRecord } from '@seda/core';
import { waitForTables, type TableFetcher, type TableLane } from '../src/table-wait.js';

const rec = (offset: number, timestamp: number): TableRecord => ({ offset, timestamp, key: 'k', value: offset });

/** A fetcher whose broker says `high`, fetching records from `arrivals` (one per round, after `roundMs`). */
function fakeFetcher(lane: TableLane, high: () => number, arrivals: TableRecord[], roundMs = 10): TableFetcher & { rounds: number } {
  const f = {
    rounds: 0,
    watermarks: async () => ({ low: 0, high: high() }),
    nextFetch: async () => {
      await new Promise((r) => setTimeout(r, roundMs));
      f.rounds++;
      const r = arrivals.shift();
      if (r !== undefined) {
        lane.queue.push(r);
        lane.progressAt = Date.now();
      }
    },
  };
  return f;
}

function warnings(): { log: Logger; seen: Array<{ obj: object; msg?: string }> } {
  const seen: Array<{ obj: object; msg?: string }> = [];
  return { seen, log: { ...silentLogger, child: () => silentLogger, warn: (obj: object | string, msg?: string) => void seen.push({ obj: obj as object, msg }) } };
}

describe('waitForTables (the idle bound)', function () {
  this.timeout(20_000);

  it('a table consumer behind the high watermark that fetches nothing: the wait runs out after the idle bound, warns naming the table, counts it, and goes on', async () => {
    const lane: TableLane = { name: 'tariffs', topic: 't', queue: new TableQueue(0), progressAt: Date.now() };
    const fetcher = fakeFetcher(lane, () => 5, []);
    const { log, seen } = warnings();
    const stats = { idleTimeouts: 0 };
    await waitForTables([lane], 3, 1000, { fetcher, idleMs: 100, log, stats });
    expect(stats.idleTimeouts).to.equal(1);
    expect(fetcher.rounds, 'it waited for fetches before giving up').to.be.greaterThan(1);
    expect(seen).to.have.length(1);
    expect(seen[0].msg).to.match(/table consumer behind and idle; processing on/);
    expect(seen[0].obj).to.deep.include({ table: 'tariffs', partition: 3, fetchedTo: 0, high: 5, idleMs: 100 });
  });

  it('records still arriving keep it waiting past the idle bound until one newer than the stream record decides it; no timeout', async () => {
    const lane: TableLane = { name: 'tariffs', topic: 't', queue: new TableQueue(0), progressAt: Date.now() };
    // 1500 rounds of >= 1 ms each bring a record at or before t=100, then one newer: >= 1.5 s in all, past the 1 s idle bound.
    const arrivals = [...Array.from({ length: 1500 }, (_, i) => rec(i, 50)), rec(1500, 200)];
    const fetcher = fakeFetcher(lane, () => 2000, arrivals, 1);
    const { log, seen } = warnings();
    const stats = { idleTimeouts: 0 };
    const started = Date.now();
    await waitForTables([lane], 0, 100, { fetcher, idleMs: 1000, log, stats });
    expect(Date.now() - started, 'the wait outlasted the idle bound (else this test proves nothing)').to.be.greaterThan(1000);
    expect(lane.queue.decides(100)).to.equal(true);
    expect(lane.queue.take(100)).to.have.length(1500);
    expect(stats.idleTimeouts).to.equal(0);
    expect(seen).to.deep.equal([]);
  });

  it('a caught-up table (fetched up to the high watermark) ends the wait at once, without a timeout', async () => {
    const lane: TableLane = { name: 'tariffs', topic: 't', queue: new TableQueue(0), progressAt: Date.now() };
    lane.queue.push(rec(0, 10));
    const fetcher = fakeFetcher(lane, () => 1, []);
    const stats = { idleTimeouts: 0 };
    await waitForTables([lane], 0, 100, { fetcher, idleMs: 100, log: silentLogger, stats });
    expect(fetcher.rounds).to.equal(0);
    expect(stats.idleTimeouts).to.equal(0);
  });

  it('a failing watermark query is not taken for caught up: asked again each round, then the idle bound, with the error in the warning', async () => {
    const lane: TableLane = { name: 'tariffs', topic: 't', queue: new TableQueue(0), progressAt: Date.now() };
    let asked = 0;
    const fetcher: TableFetcher = {
      watermarks: async () => {
        asked++;
        throw new Error('leader not available');
      },
      nextFetch: () => new Promise((r) => setTimeout(r, 10)),
    };
    const { log, seen } = warnings();
    const stats = { idleTimeouts: 0 };
    await waitForTables([lane], 1, 100, { fetcher, idleMs: 100, log, stats });
    expect(asked).to.be.greaterThan(1);
    expect(stats.idleTimeouts).to.equal(1);
    expect((seen[0].obj as { err?: Error }).err?.message).to.equal('leader not available');
  });
});
