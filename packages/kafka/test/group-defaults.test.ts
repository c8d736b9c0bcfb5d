import { expect } from 'chai';
import { embeddedGroupDefaults, embeddedGroupProperties } from '../src/broker/group-defaults.js';

describe('group timeouts on the embedded broker', () => {
  it('adds a short session timeout and a heartbeat well inside it when --kafka sets neither', () => {
    const added = embeddedGroupProperties({ 'linger.ms': 5 });
    expect(added).to.deep.equal(embeddedGroupDefaults);
    expect(Number(added['session.timeout.ms'])).to.be.lessThan(10_000);
    expect(Number(added['heartbeat.interval.ms']) * 3).to.be.at.most(Number(added['session.timeout.ms']));
  });

  it("never overrides the user's values", () => {
    expect(embeddedGroupProperties({ 'session.timeout.ms': 10_000, 'heartbeat.interval.ms': 2000 })).to.deep.equal({});
    expect(embeddedGroupProperties({ 'heartbeat.interval.ms': 200 })).to.deep.equal({ 'session.timeout.ms': embeddedGroupDefaults['session.timeout.ms'] });
  });

  it("adds no heartbeat that would not fit the user's own short session timeout", () => {
    expect(embeddedGroupProperties({ 'session.timeout.ms': 1000 })).to.deep.equal({});
    expect(embeddedGroupProperties({ 'session.timeout.ms': 6000 })).to.deep.equal({ 'heartbeat.interval.ms': embeddedGroupDefaults['heartbeat.interval.ms'] });
  });
});
