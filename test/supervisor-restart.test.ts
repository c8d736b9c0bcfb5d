// `seda run --instances N` when every worker dies at once (both SIGKILLed, as
// an OOM killer or `kill -9` of the process group's workers does): the
// supervisor restarts them and the stage goes on. Found by the per-key order
// runs of the item 7 (a supervisor with no worker left exited, its
// pending restarts unref'd timers that held nothing).
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { groupLag } from '@seda/kafka';
import { createTestTopic, testBroker } from './support/broker.js';
import { isAlive, startSeda, waitFor } from './support/process.js';
import { produceRaw, readAll } from './support/topic-io.js';

const fixture = fileURLToPath(new URL('./fixtures/keyed-relay.js', import.meta.url));

describe('seda run --instances: every worker SIGKILLed at once (real processes)', function () {
  this.timeout(180_000);

  it('the supervisor restarts both, every record reaches the output, and SIGTERM then exits 0', async () => {
    const input = await createTestTopic('sup-in', 2);
    const output = await createTestTopic('sup-out', 2);
    const group = `${input}-g`;
    const count = 5000;
    await produceRaw(testBroker().bootstrap, input, Array.from({ length: count }, (_, i) => ({ key: `k${i % 16}`, value: String(i) })));
    const sup = startSeda([
      'run', fixture, '--instances', '2', '--brokers', testBroker().bootstrap, '--input', input, '--output', `out=${output}`, '--group', group, '--from-beginning',
      '--kafka', 'session.timeout.ms=6000', '--kafka', 'heartbeat.interval.ms=500',
    ], { env: { SEDA_FIXTURE_PAUSE_EVERY: '100', SEDA_FIXTURE_PAUSE_MS: '50' } });
    const started = (): Array<{ pid: number }> => sup.logs().filter((l) => l.msg === 'worker started') as Array<{ pid: number }>;
    await waitFor(() => sup.logs().filter((l) => l.msg === 'stage started').length >= 2, 60_000, 'both workers to start', 100, [sup]);
    const first = started().map((w) => w.pid);
    for (const pid of first) process.kill(pid, 'SIGKILL');
    await waitFor(() => {
      if (!isAlive(sup.child.pid!)) throw new Error(`the supervisor exited with no worker left instead of restarting them:\n${sup.stderr().slice(-1500)}`);
      return started().length >= 4;
    }, 20_000, 'the supervisor to restart both workers', 100, [sup]);
    await waitFor(async () => {
      const lag = await groupLag(testBroker().bootstrap, group, [input]).catch(() => []);
      return lag.length === 2 && lag.every((l) => l.lag === 0 && l.committed > 0);
    }, 120_000, 'the restarted workers to drain the input', 300, [sup]);
    const out = await readAll(testBroker().bootstrap, output, { idleMs: 1500 });
    expect(new Set(out.map((r) => r.value)).size, 'distinct records output').to.equal(count);
    expect(first.filter(isAlive), 'the killed workers are gone').to.deep.equal([]);
    sup.kill('SIGTERM');
    expect((await sup.exited(60_000)).code, sup.stderr().slice(-2000)).to.equal(0);
  });
});
