import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createTestTopic, testBroker } from './support/broker.js';
import { fileURLToPath } from 'node:url';
import { runSeda, startSeda, waitFor, type SedaProcess } from './support/process.js';

/** A record kcat (not seda) writes with seda's dead-letter headers pointing at `source`. */
function kcatDeadLetter(dlq: string, source: string): void {
  execFileSync(
    'kcat',
    ['-P', '-b', testBroker().bootstrap, '-t', dlq, '-k', 'k1', '-H', `seda.dlq.topic=${source}`, '-H', 'seda.dlq.partition=0', '-H', 'seda.dlq.offset=0', '-H', 'seda.dlq.code=SEDA_TEST', '-H', 'seda.dlq.stage=t'],
    { input: 'poison\n', timeout: 30_000 },
  );
}

function kcatCount(topic: string): number {
  return execFileSync('kcat', ['-C', '-b', testBroker().bootstrap, '-t', topic, '-e', '-q', '-f', '%o\n'], { encoding: 'utf8', timeout: 30_000 }).split('\n').filter(Boolean).length;
}

async function portOf(p: SedaProcess): Promise<number> {
  await waitFor(() => /pipeline page at \S+:(\d+)\//.test(p.stdout()), 30_000, 'seda ui to listen', 100, [p]);
  return Number(/pipeline page at \S+:(\d+)\//.exec(p.stdout())![1]);
}

describe('seda ui: token and bad input', function () {
  this.timeout(120_000);
  const procs: SedaProcess[] = [];
  after(() => procs.forEach((p) => p.kill('SIGKILL')));

  it('refuses a non-loopback address without SEDA_UI_TOKEN', async () => {
    const r = await runSeda(['ui', '--host', '0.0.0.0', '--port', '0'], { env: { SEDA_UI_TOKEN: '' }, timeoutMs: 30_000 });
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.include('SEDA_UI_TOKEN');
  });

  it('bound to 0.0.0.0: API calls without the token get 401 and replay nothing; with it, bad input gets a 4xx and replays nothing, good input replays', async () => {
    const source = await createTestTopic('uit-src', 1);
    const dlq = await createTestTopic('uit-dlq', 1);
    const plain = await createTestTopic('uit-plain', 1);
    kcatDeadLetter(dlq, source);
    execFileSync('kcat', ['-P', '-b', testBroker().bootstrap, '-t', plain], { input: 'not a dead letter\n', timeout: 30_000 });
    const token = `t-${process.pid}-secret`;
    const ui = startSeda(['ui', '--host', '0.0.0.0', '--port', '0'], { env: { SEDA_UI_TOKEN: token } });
    procs.push(ui);
    const base = `http://127.0.0.1:${await portOf(ui)}`;
    const call = (path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<Response> =>
      fetch(`${base}${path}`, {
        method: init.method ?? 'GET',
        headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(20_000),
      });
    const replay = `/api/dlq/${dlq}/replay`;
    expect((await call('/api/graph')).status).to.equal(401);
    expect((await call('/api/graph', { token: 'wrong' })).status).to.equal(401);
    expect((await call(`/api/dlq/${dlq}`)).status).to.equal(401);
    expect((await call('/api/events')).status).to.equal(401);
    expect((await call(replay, { method: 'POST', body: { all: true } })).status).to.equal(401);
    expect((await call(replay, { method: 'POST', body: { all: true }, token: 'wrong' })).status).to.equal(401);
    expect(kcatCount(source)).to.equal(0);
    expect((await call('/', {})).status, 'the page itself').to.equal(200);

    expect((await call('/api/graph', { token })).status).to.equal(200);
    const bad: Array<[string, { method?: string; body?: unknown }, number, RegExp]> = [
      [`/api/dlq/no-such-${process.pid}/replay`, { method: 'POST', body: { all: true } }, 404, /does not exist/],
      [replay, { method: 'POST', body: { offsets: [{ partition: 0, offset: 9 }] } }, 400, /out of range/],
      [replay, { method: 'POST', body: { offsets: [{ partition: 0, offset: -1 }] } }, 400, /whole numbers/],
      [replay, { method: 'POST', body: { nothing: 1 } }, 400, /offsets/],
      [`/api/dlq/${plain}/replay`, { method: 'POST', body: { all: true } }, 400, /not a seda dead letter/],
      [replay, { method: 'GET' }, 405, /POST/],
      [replay, { method: 'POST', body: { all: true, to: `no-such-${process.pid}` } }, 404, /does not exist/],
    ];
    for (const [path, init, status, message] of bad) {
      const res = await call(path, { ...init, token });
      expect(res.status, `${init.method} ${path} ${JSON.stringify(init.body)}`).to.equal(status);
      expect(((await res.json()) as { error: string }).error).to.match(message);
    }
    expect(kcatCount(source), 'nothing replayed by bad input').to.equal(0);

    const ok = await call(replay, { method: 'POST', body: { offsets: [{ partition: 0, offset: 0 }] }, token });
    expect(ok.status).to.equal(200);
    expect(((await ok.json()) as { replayed: unknown[] }).replayed).to.have.length(1);
    expect(kcatCount(source)).to.equal(1);
  });

  it('--stage draws a stage from its definition when it does not announce itself (never called stopped)', async () => {
    const ui = startSeda(['ui', '--port', '0', '--stage', fileURLToPath(new URL('./fixtures/picky.js', import.meta.url))]);
    procs.push(ui);
    const port = await portOf(ui);
    const graph = (await (await fetch(`http://127.0.0.1:${port}/api/graph`, { signal: AbortSignal.timeout(20_000) })).json()) as {
      nodes: Array<{ id: string; announced?: boolean; input?: string }>;
      edges: Array<{ from: string; to: string; dlq: boolean; lag?: { status: string } }>;
    };
    const node = graph.nodes.find((n) => n.id === 'stage:picky/picky');
    expect(node).to.include({ announced: false, input: 'picky-in' });
    expect(graph.edges.some((e) => e.from === 'topic:picky-in' && e.to === 'stage:picky/picky' && e.lag?.status !== 'stopped')).to.equal(true);
    expect(graph.edges.some((e) => e.from === 'stage:picky/picky' && e.to === 'topic:picky-out' && !e.dlq)).to.equal(true);
    expect(graph.edges.some((e) => e.from === 'stage:picky/picky' && e.dlq)).to.equal(true);
  });
});
