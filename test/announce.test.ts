import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { AnnouncementLog, TopicReader, type AnnouncedInstance } from '@seda/runtime';
import { createTestTopic, testBroker } from './support/broker.js';
import { startSeda, waitFor } from './support/process.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));
const fast = { SEDA_ANNOUNCE_INTERVAL_MS: '300' };

describe('stages announce themselves on _seda_stages', function () {
  this.timeout(90_000);
  let reader: TopicReader;
  let log: AnnouncementLog;
  before(() => {
    reader = new TopicReader(testBroker().bootstrap);
    log = new AnnouncementLog(reader);
  });
  after(() => reader.close());

  const mine = async (group: string): Promise<AnnouncedInstance[]> => (await log.refresh()).filter((a) => a.group === group);

  it('a running stage publishes its descriptor with heartbeats; a clean stop tombstones it', async () => {
    const input = await createTestTopic('ann-in', 2);
    const output = await createTestTopic('ann-out', 1);
    const group = `ann-g-${process.pid}`;
    const p = startSeda(['run', fixture('relay'), '--input', input, '--output', `out=${output}`, '--group', group, '--metrics-port', '0'], { env: fast });
    try {
      let seen: AnnouncedInstance[] = [];
      await waitFor(async () => (seen = await mine(group)).length === 1, 30_000, 'the stage announced', 200, [p]);
      const d = seen[0];
      expect(d).to.include({ kind: 'stage', name: 'relay', group, input, dlq: `${input}.dlq`, mode: 'at-least-once', pid: p.child.pid, stale: false });
      expect(d.outputs).to.deep.equal({ out: output });
      expect(d.metricsUrl).to.match(/^http:\/\/.+:\d+\/metrics$/);
      // Its input partitions, once assigned (announced again when the assignment changes).
      await waitFor(async () => (await mine(group))[0]?.partitions?.join(',') === '0,1', 30_000, 'the owned partitions announced', 200, [p]);
      const first = d.heartbeatAt;
      await waitFor(async () => (await mine(group))[0]?.heartbeatAt !== first, 10_000, 'a newer heartbeat', 200, [p]);
      p.kill('SIGTERM');
      expect((await p.exited(30_000)).code).to.equal(0);
      expect(await mine(group)).to.deep.equal([]);
    } finally {
      p.kill('SIGKILL');
    }
  });

  it('a crashed stage (SIGKILL) stays announced and turns stale; --no-announce publishes nothing', async () => {
    const input = await createTestTopic('ann-in', 1);
    const output = await createTestTopic('ann-out', 1);
    const group = `ann-k-${process.pid}`;
    const quiet = `ann-q-${process.pid}`;
    const p = startSeda(['run', fixture('relay'), '--input', input, '--output', `out=${output}`, '--group', group], { env: fast });
    const q = startSeda(['run', fixture('relay'), '--input', input, '--output', `out=${output}`, '--group', quiet, '--no-announce'], { env: fast });
    try {
      await waitFor(async () => (await mine(group)).length === 1, 30_000, 'the stage announced', 200, [p]);
      await q.waitForLog((l) => l.msg === 'stage started', 30_000, 'the unannounced stage started');
      p.kill('SIGKILL');
      await p.exited(10_000);
      await waitFor(async () => (await mine(group))[0]?.stale === true, 10_000, 'the announcement goes stale', 200);
      await new Promise((r) => setTimeout(r, 1000)); // several heartbeats of q
      expect(await mine(quiet)).to.deep.equal([]);
    } finally {
      p.kill('SIGKILL');
      q.kill('SIGKILL');
    }
  });
});
