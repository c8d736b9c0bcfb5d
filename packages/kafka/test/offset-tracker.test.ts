import { expect } from 'chai';
import { OffsetTracker } from '../src/offset-tracker.js';

describe('offset tracker', () => {
  it('commits only up to the first gap, then past it once the gap is acknowledged', () => {
    const t = new OffsetTracker();
    const a = t.track('t', 0, 10);
    const b = t.track('t', 0, 20);
    const c = t.track('t', 0, 30);
    t.ack(b);
    t.ack(c);
    expect(t.committable()).to.deep.equal([]);
    t.ack(a);
    expect(t.committable()).to.deep.equal([{ topic: 't', partition: 0, offset: 30 }]);
  });

  it('keeps partitions independent and reports only partitions that advanced since the last commit', () => {
    const t = new OffsetTracker();
    const p0 = t.track('t', 0, 5);
    const p1 = t.track('t', 1, 7);
    t.ack(p1);
    expect(t.committable()).to.deep.equal([{ topic: 't', partition: 1, offset: 7 }]);
    t.markCommitted([{ topic: 't', partition: 1, offset: 7 }]);
    expect(t.committable()).to.deep.equal([]);
    t.ack(p0);
    expect(t.committable()).to.deep.equal([{ topic: 't', partition: 0, offset: 5 }]);
  });

  it('counts in-flight units and resolves whenDrained once they are acknowledged', async () => {
    const t = new OffsetTracker();
    const a = t.track('t', 0, 1);
    const b = t.track('t', 1, 1);
    expect(t.inFlight()).to.equal(2);
    expect(t.inFlight('t', 0)).to.equal(1);
    const drained = t.whenDrained([{ topic: 't', partition: 0 }], 5000);
    t.ack(a);
    expect(await drained).to.equal(true);
    expect(await t.whenDrained([{ topic: 't', partition: 1 }], 20)).to.equal(false);
    t.ack(b);
  });

  it('forgets revoked partitions: their later acks commit nothing', () => {
    const t = new OffsetTracker();
    const a = t.track('t', 0, 3);
    t.forget([{ topic: 't', partition: 0 }]);
    t.ack(a);
    expect(t.committable()).to.deep.equal([]);
    expect(t.inFlight()).to.equal(0);
  });

  it('tracks a million records with out-of-order acks without memory growth', function () {
    this.timeout(60_000);
    const t = new OffsetTracker();
    const window: ReturnType<OffsetTracker['track']>[] = [];
    let maxInFlight = 0;
    global.gc?.();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 1_000_000; i++) {
      window.push(t.track('t', i % 4, Math.floor(i / 4) + 1));
      if (window.length === 64) {
        // Acknowledge the window newest first: always out of order.
        for (let j = window.length - 1; j >= 0; j--) t.ack(window[j]);
        window.length = 0;
      }
      maxInFlight = Math.max(maxInFlight, t.inFlight());
    }
    const after = process.memoryUsage().heapUsed;
    expect(t.inFlight()).to.equal(0);
    expect(maxInFlight).to.be.at.most(64);
    expect(t.committable().map((c) => c.offset)).to.deep.equal([250_000, 250_000, 250_000, 250_000]);
    // A leak would keep a million tickets (~100 MB); allow generous noise.
    expect(after - before).to.be.lessThan(30 * 1024 * 1024);
  });
});
