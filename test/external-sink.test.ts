import { expect } from 'chai';
import { lineageHeader, testStage } from '@seda/core';
import { ledgerSink } from './fixtures/ledger-sink.js';

describe('external sink recipe: upsert by lineage', () => {
  it('upstream duplicates and the sink\'s own replays land on one row each; records without lineage are keyed by their position', async () => {
    const table = new Map<string, { meter: string; cost: number }>();
    let writes = 0;
    const stage = ledgerSink({
      async upsert(id, row) {
        writes++;
        table.set(id, row);
      },
    });
    const cost = (offset: number, index: number, value: number) => ({ key: 'meter1', value: { cost: value }, headers: { [lineageHeader]: `tariff/readings:0:${offset}:${index}` } });
    const first = [cost(0, 0, 10), cost(0, 1, 5), cost(1, 0, 7)];
    // The upstream replayed offset 0 after a crash: its outputs come again, with the same lineage.
    const t = testStage(stage);
    await t.send([...first, cost(0, 0, 10), cost(0, 1, 5), cost(2, 0, 3), { key: 'meter2', value: { cost: 1 } }]);
    // This sink crashed before storing its offsets and reads the same records again (a second driver: same input, fresh process).
    const replay = testStage(stage);
    await replay.send([...first, cost(0, 0, 10), cost(0, 1, 5), cost(2, 0, 3), { key: 'meter2', value: { cost: 1 } }]);
    expect(writes).to.equal(14);
    expect([...table.keys()].sort()).to.deep.equal(['tariff-costs:0:6', 'tariff/readings:0:0:0', 'tariff/readings:0:0:1', 'tariff/readings:0:1:0', 'tariff/readings:0:2:0']);
    expect([...table.values()].reduce((n, r) => n + r.cost, 0)).to.equal(10 + 5 + 7 + 3 + 1);
  });
});
