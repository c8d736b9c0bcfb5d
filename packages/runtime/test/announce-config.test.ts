import { expect } from 'chai';
import { resolveRunConfig } from '../src/config.js';

describe('--no-announce', () => {
  it('commander\'s negated flag turns announcing off; its default (true) leaves the environment and the default in charge', () => {
    expect(resolveRunConfig({ flags: { announce: false }, env: {} }).values.announce).to.equal(false);
    expect(resolveRunConfig({ flags: { announce: true }, env: {} }).values.announce).to.equal(true);
    expect(resolveRunConfig({ flags: { announce: true }, env: { SEDA_ANNOUNCE: 'false' } }).values.announce).to.equal(false);
    const r = resolveRunConfig({ flags: { announce: false }, env: { SEDA_ANNOUNCE: 'true' } });
    expect(r.values.announce).to.equal(false);
    expect(r.sources.announce.origin).to.equal('--no-announce');
  });
});
