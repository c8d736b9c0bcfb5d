import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { createTestTopic, testBroker } from './support/broker.js';
import { startSeda } from './support/process.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));

// Found by the rebalance storm (test/rebalance-storm.test.ts): an instance SIGTERMed while node was
// still loading seda's modules died by the signal (no output, no exit code), before `seda run`
// could install its handlers.
describe('seda run: a signal while it is still loading', function () {
  this.timeout(60_000);

  for (const [signal, afterMs] of [['SIGTERM', 250], ['SIGTERM', 600], ['SIGINT', 400]] as const) {
    it(`${signal} ${afterMs} ms after the start ends it with exit code 0, not by the signal`, async () => {
      const input = await createTestTopic('early-signal-in', 1);
      const output = await createTestTopic('early-signal-out', 1);
      const p = startSeda(['run', fixture('relay'), '--brokers', testBroker().bootstrap, '--input', input, '--output', `out=${output}`, '--group', `early-${process.pid}-${afterMs}`]);
      await new Promise((r) => setTimeout(r, afterMs));
      const loaded = p.logs().length > 0;
      p.kill(signal);
      const exit = await p.exited(30_000);
      expect(exit, `${loaded ? 'after' : 'before'} its first log line\n${p.stderr().slice(-2000)}`).to.deep.equal({ code: 0, signal: null });
    });
  }
});
