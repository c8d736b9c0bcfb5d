import { expect } from 'chai';
import { describeTopic, startBroker, type EmbeddedBroker } from '@seda/kafka';

// Found by `seda demo --chaos --kill-random`: billing, restarted while a broker was down, exited 1
// ("reading watermarks of billing-billing-changelog/2 ... failed: Local: Unknown partition").
describe('admin queries while a partition leader is down', function () {
  this.timeout(60_000);
  let broker: EmbeddedBroker;
  before(async () => {
    broker = await startBroker({ brokers: 3, announce: false, topics: [{ name: 'down-leader', partitions: 3 }] });
  });
  after(async () => {
    await broker.stop(3000);
  });

  it('describeTopic waits out a leader that comes back within seconds instead of failing', async () => {
    const before = await describeTopic(broker.bootstrap, 'down-leader');
    const leader = before[0].leader;
    broker.setBrokerDown(leader);
    const up = setTimeout(() => broker.setBrokerUp(leader), 3000);
    try {
      const after = await describeTopic(broker.bootstrap, 'down-leader');
      expect(after.map((p) => p.partition)).to.deep.equal([0, 1, 2]);
    } finally {
      clearTimeout(up);
      broker.setBrokerUp(leader);
    }
  });
});
