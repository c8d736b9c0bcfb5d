import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupLag } from '@seda/kafka';
import { keyPartition } from '@seda/runtime';
import { createTestTopic, testBroker } from './support/broker.js';
import { runSeda, startSeda, waitFor, type SedaProcess } from './support/process.js';
import { produceRaw } from './support/topic-io.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));

async function metricsUrl(p: SedaProcess): Promise<string> {
  const line = await p.waitForLog((l) => typeof l.port === 'number' && String(l.msg).startsWith('metrics at'), 30_000, 'the metrics endpoint');
  return `http://127.0.0.1:${line.port as number}`;
}

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.json() };
}

describe('state queried live on the metrics port (real processes, two instances)', function () {
  this.timeout(180_000);

  it('GET /state/<key> answers from the instance owning the key, the other names the partition; same values as seda state --dump; seda state get asks both', async () => {
    const input = await createTestTopic('sq-in', 4);
    const meters = 16;
    const wave = (from: number, count: number) => Array.from({ length: count }, (_, j) => {
      const i = from + j;
      const key = `meter${i % meters}`;
      // Partitioned as seda's producers do (murmur2), so the 404 names the key's real partition.
      return { key, value: JSON.stringify({ cost: (i % 7) + 0.5 }), partition: keyPartition(key, 4), cost: (i % 7) + 0.5 };
    });
    const totals = (rows: ReturnType<typeof wave>): Map<string, { count: number; cost: number }> => {
      const truth = new Map<string, { count: number; cost: number }>();
      for (const r of rows) {
        const t = truth.get(r.key) ?? { count: 0, cost: 0 };
        truth.set(r.key, { count: t.count + 1, cost: t.cost + r.cost });
      }
      return truth;
    };
    const first = wave(0, 1600);
    const second = wave(1600, 1600);
    const truth = totals(first);
    const final = totals([...first, ...second]);
    await produceRaw(testBroker().bootstrap, input, first);
    const dir = mkdtempSync(join(tmpdir(), 'seda-state-query-'));
    const group = 'sq-g';
    const args = ['run', fixture('meter-totals'), '--brokers', testBroker().bootstrap, '--input', input, '--group', group, '--from-beginning', '--state-dir', dir, '--metrics-port', '0',
      '--kafka', 'session.timeout.ms=6000', '--kafka', 'heartbeat.interval.ms=500', '--commit-interval', '200', '--changelog', 'false'];
    // Slow enough that the second wave is still being processed while it is queried.
    const env = { SEDA_FIXTURE_PAUSE_EVERY: '10', SEDA_FIXTURE_PAUSE_MS: '40' };
    const a = startSeda(args, { env });
    const b = startSeda(args, { env });
    try {
      const urls = [await metricsUrl(a), await metricsUrl(b)];
      const twoEach = (p: SedaProcess): Promise<unknown> =>
        p.waitForLog((l) => l.msg === 'partitions assigned' && (l.partitions as number[]).length === 2, 60_000, 'two partitions assigned');
      await Promise.all([twoEach(a), twoEach(b)]);
      const drained = async (): Promise<boolean> => (await groupLag(testBroker().bootstrap, group, [input])).every((l) => l.lag === 0 && l.committed > 0);
      await waitFor(drained, 60_000, 'both instances to drain the input', 300);

      const answered = new Map<string, unknown>();
      const answeredBy = [new Set<string>(), new Set<string>()];
      for (const [key, want] of truth) {
        const answers = await Promise.all(urls.map((u) => getJson(`${u}/state/${encodeURIComponent(key)}`)));
        const ok = answers.filter((x) => x.status === 200);
        expect(ok, `${key}: ${JSON.stringify(answers)}`).to.have.length(1);
        expect(ok[0].body).to.deep.equal({ key, partition: keyPartition(key, 4), value: want });
        const miss = answers.find((x) => x.status !== 200)!;
        expect(miss.status).to.equal(404);
        expect(miss.body.partition).to.equal(keyPartition(key, 4));
        expect(miss.body.ownedHere).to.equal(false);
        expect(miss.body.error).to.contain(`${input}/${keyPartition(key, 4)}`).and.to.contain(`group "${group}"`);
        // The 404 names the owner from its announcement on _seda_stages (0.0.0.0 is announced as the host name).
        const owning = [a, b][answers.indexOf(ok[0])];
        const ownerPort = Number(new URL(urls[answers.indexOf(ok[0])]).port);
        const ownerInstance = `${hostname()}:${owning.child.pid}`;
        expect(miss.body.owner, `${key}: ${JSON.stringify(miss.body)}`).to.deep.equal({ instance: ownerInstance, metricsUrl: `http://${hostname()}:${ownerPort}/metrics` });
        expect(miss.body.error).to.contain(`owned by instance ${ownerInstance}, ask it at http://${hostname()}:${ownerPort}/state/${encodeURIComponent(key)}`);
        answered.set(key, ok[0].body.value);
        answeredBy[answers.indexOf(ok[0])].add(key);
      }
      const listed = await Promise.all(urls.map((u) => getJson(`${u}/state?prefix=meter1&limit=100`)));
      const keys = listed.flatMap((l) => (l.body.entries as Array<{ key: string }>).map((e) => e.key)).sort();
      expect(keys).to.deep.equal([...truth.keys()].filter((k) => k.startsWith('meter1')).sort());
      expect((await getJson(`${urls[0]}/state?limit=2`)).body.entries).to.have.length(2);
      expect((await getJson(`${urls[0]}/state?limit=0`)).status).to.equal(400);

      const viaCli = await runSeda(['state', 'get', 'meter-totals', 'meter3', '--url', urls[0], '--url', urls[1]], { timeoutMs: 30_000 });
      expect(viaCli.code, viaCli.stderr).to.equal(0);
      expect(JSON.parse(viaCli.stdout)).to.deep.equal({ key: 'meter3', partition: keyPartition('meter3', 4), value: truth.get('meter3') });
      const missing = await runSeda(['state', 'get', 'meter-totals', 'nobody', '--url', urls[0], '--url', urls[1]], { timeoutMs: 30_000 });
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.match(/^error: no instance has key "nobody"/m);
      // Asked only the instance that does not own it, the CLI prints the 404 naming the owner.
      const m3 = answeredBy[0].has('meter3') ? 0 : 1;
      const elsewhere = await runSeda(['state', 'get', 'meter-totals', 'meter3', '--url', urls[1 - m3]], { timeoutMs: 30_000 });
      expect(elsewhere.code).to.equal(1);
      expect(elsewhere.stderr, JSON.stringify(elsewhere)).to.contain(`owned by instance ${hostname()}:${[a, b][m3].child.pid}, ask it at http://${hostname()}:${new URL(urls[m3]).port}/state/meter3`);

      // During processing: every answer is a finished batch's state, so a key's count only grows,
      // from the first wave's total to the final one, never past it.
      const owner = new Map([...truth.keys()].map((k) => [k, answeredBy[0].has(k) ? urls[0] : urls[1]]));
      await produceRaw(testBroker().bootstrap, input, second);
      const seen = new Map<string, number>([...truth].map(([k, t]) => [k, t.count]));
      let between = 0;
      let polls = 0;
      const deadline = Date.now() + 90_000;
      for (let done = false; !done; ) {
        if (Date.now() > deadline) throw new Error('the second wave was not processed within 90 s');
        done = await drained();
        for (const [key, url] of owner) {
          const { status, body } = await getJson(`${url}/state/${encodeURIComponent(key)}`);
          polls++;
          expect(status, `${key}: ${JSON.stringify(body)}`).to.equal(200);
          const count = (body.value as { count: number }).count;
          expect(count, key).to.be.at.least(seen.get(key)!).and.at.most(final.get(key)!.count);
          if (count > truth.get(key)!.count && count < final.get(key)!.count) between++;
          seen.set(key, count);
          if (done) answered.set(key, body.value);
        }
      }
      expect(between, 'answers seen while the second wave was processed').to.be.above(0);
      console.log(`      figures: ${truth.size} keys over 4 partitions, 2 instances; ${polls} reads during processing, ${between} of them mid-wave, none going back or past the final total`);
      for (const [key, t] of final) expect(answered.get(key), key).to.deep.equal(t);

      for (const p of [a, b]) p.kill('SIGTERM');
      for (const p of [a, b]) expect((await p.exited(60_000)).code).to.equal(0);
      const dump = await runSeda(['state', 'meter-totals', '--state-dir', dir, '--dump'], { timeoutMs: 30_000 });
      expect(dump.code, dump.stderr).to.equal(0);
      const dumped = new Map(dump.stdout.trim().split('\n').map((l) => JSON.parse(l) as { key: string; value: unknown }).map((e) => [e.key, e.value]));
      expect(dumped).to.deep.equal(answered);
      const offline = await runSeda(['state', 'get', 'meter-totals', 'meter5', '--state-dir', dir], { timeoutMs: 30_000 });
      expect(JSON.parse(offline.stdout).value).to.deep.equal(final.get('meter5'));
    } finally {
      for (const p of [a, b]) if (p.child.exitCode === null) p.kill('SIGKILL');
    }
  });
});
