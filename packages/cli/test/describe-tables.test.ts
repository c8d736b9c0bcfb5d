import { expect } from 'chai';
import { defineStage } from '@seda/core';
import { describeStage } from '../src/commands/describe.js';

describe('seda describe: tables', () => {
  it('names each table, and says a global one is not ordered with the stream', () => {
    const stage = defineStage({
      name: 'j',
      input: { topic: 'readings' },
      tables: { tariffs: { topic: 'tariffs' }, sites: { topic: 'sites', global: true } },
      process() {},
    });
    const lines = describeStage(stage);
    expect(lines.find((l) => l.includes('tariffs <- tariffs'))).to.contain('co-partitioned: joined in timestamp order');
    expect(lines.find((l) => l.includes('sites <- sites'))).to.contain('not ordered with the stream, so a replay may join against other contents');
    expect(lines.some((l) => l.startsWith('state:    LevelDB')), 'a co-partitioned table is kept in the state store').to.equal(true);
    expect(lines.find((l) => l.startsWith('mode:')), 'a global table makes the stage not deterministic').to.equal('mode:     state (not deterministic: exactly-once refused)');
  });
});
