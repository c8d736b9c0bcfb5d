import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createTestTopic, testBroker } from './support/broker.js';
import { startSeda, waitFor, type SedaProcess } from './support/process.js';
import { produceRaw } from './support/topic-io.js';

/** The page's DOM as the functions run in the browser see it (test/ has no DOM typings). */
declare const document: { querySelector(s: string): { getAttribute(n: string): string | null } | null; getElementById(id: string): { textContent: string | null } | null };

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));
const screenshot = fileURLToPath(new URL('../../docs/pipeline-page.png', import.meta.url));
const fast = { SEDA_ANNOUNCE_INTERVAL_MS: '500' };
const session = ['--kafka', 'session.timeout.ms=6000', '--kafka', 'heartbeat.interval.ms=500', '--commit-interval', '200', '--metrics-port', '0'];

/** The URL `seda ui` prints once it listens. */
async function pageUrl(p: SedaProcess): Promise<string> {
  await waitFor(() => /pipeline page at (\S+)/.test(p.stdout()), 30_000, 'seda ui to listen', 100, [p]);
  return /pipeline page at (\S+)/.exec(p.stdout())![1];
}

/** Records of a topic read by kcat (not seda): key|value|headers per line. */
function kcat(topic: string): string[] {
  const out = execFileSync('kcat', ['-C', '-b', testBroker().bootstrap, '-t', topic, '-e', '-q', '-f', '%k|%s|%h\n'], { encoding: 'utf8', timeout: 30_000 });
  return out.split('\n').filter(Boolean);
}

describe('the pipeline page (seda ui, headless Chromium)', function () {
  this.timeout(300_000);
  const procs: SedaProcess[] = [];
  let context: BrowserContext | undefined;
  let profile = '';
  after(async () => {
    await context?.close().catch(() => {});
    for (const p of procs) p.kill('SIGKILL');
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('draws the four stages and their edges; a stopped stage shows lag and "stopped" and recovers; a poison record is replayed from the page exactly once', async () => {
    const a = await createTestTopic('ui-a', 2);
    const b = await createTestTopic('ui-b', 2);
    const c = await createTestTopic('ui-c', 2);
    const d = await createTestTopic('ui-d', 1);
    const dlq = `${a}.dlq`;
    await testBroker().createTopic(dlq, 1);
    const stateDir = mkdtempSync(join(tmpdir(), 'seda-ui-state-'));
    const run = (args: string[]): SedaProcess => {
      const p = startSeda(['run', ...args], { env: fast });
      procs.push(p);
      return p;
    };
    const id = process.pid;
    run([fixture('ui-ticks'), '--output', `out=${a}`]);
    run([fixture('picky'), '--input', a, '--output', `out=${b}`, '--group', `ui-picky-${id}`, '--from-beginning', ...session]);
    run([fixture('ui-count'), '--input', b, '--output', `out=${c}`, '--group', `ui-count-${id}`, '--from-beginning', '--state-dir', stateDir, ...session]);
    const relayArgs = [fixture('relay'), '--input', c, '--output', `out=${d}`, '--group', `ui-relay-${id}`, '--from-beginning', ...session];
    let relay = run(relayArgs);
    const ui = startSeda(['ui', '--port', '0', '--refresh', '500']);
    procs.push(ui);
    const url = await pageUrl(ui);

    profile = mkdtempSync(join(tmpdir(), 'seda-ui-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 1500, height: 1000 },
    });
    const page: Page = context.pages()[0] ?? (await context.newPage());
    await page.goto(url);

    const edge = (from: string, to: string, topic: string): string => `g.edge[data-from="${from}"][data-to="${to}"][data-topic="${topic}"]`;
    const picky = `stage:ui-picky-${id}/picky`;
    const count = `stage:ui-count-${id}/ui-count`;
    const relayNode = `stage:ui-relay-${id}/relay`;
    // The graph: four seda nodes, the edges input -> stage -> outputs, the DLQ edge dashed.
    // Each process announces itself when it is up, in no set order: wait for each node, then count it.
    for (const n of ['source:ui-ticks', picky, count, relayNode]) {
      await page.waitForSelector(`g.node[data-id="${n}"]`, { timeout: 60_000 });
      expect(await page.locator(`g.node[data-id="${n}"]`).count(), n).to.equal(1);
    }
    await page.waitForSelector(edge('source:ui-ticks', picky, a), { timeout: 30_000 });
    expect(await page.locator(edge(picky, count, b)).count()).to.equal(1);
    expect(await page.locator(edge(count, relayNode, c)).count()).to.equal(1);
    expect(await page.locator(edge(relayNode, `topic:${d}`, d)).count()).to.equal(1);
    expect(await page.locator(`g.edge.dlq${edge(picky, `dlq:${dlq}`, dlq).slice('g.edge'.length)}`).count()).to.equal(1);
    expect(await page.locator(`g.node[data-id="${count}"] .instances`).textContent()).to.match(/^1 up · state/);

    // Stop the relay: its input edge shows lag in records and seconds, and "stopped".
    const relayEdge = page.locator(edge(count, relayNode, c));
    relay.kill('SIGTERM');
    expect((await relay.exited(30_000)).code).to.equal(0);
    await page.waitForFunction(
      (sel) => {
        const e = document.querySelector(sel);
        return e !== null && e.getAttribute('data-status') === 'stopped' && Number(e.getAttribute('data-lag-records')) > 5 && Number(e.getAttribute('data-lag-seconds')) >= 1.5;
      },
      edge(count, relayNode, c),
      { timeout: 60_000 },
    );
    const stoppedLag = Number(await relayEdge.getAttribute('data-lag-records'));
    // Restarted, it catches up: no longer stopped, lag back below what it was.
    relay = run(relayArgs);
    await page.waitForFunction(
      ([sel, before]) => {
        const e = document.querySelector(sel as string);
        return e !== null && e.getAttribute('data-status') !== 'stopped' && Number(e.getAttribute('data-lag-records')) < (before as number);
      },
      [edge(count, relayNode, c), stoppedLag] as const,
      { timeout: 90_000 },
    );

    // A poison record lands in the DLQ view with its code.
    await produceRaw(testBroker().bootstrap, a, [{ key: 'bad-page', value: '{"n":-1}', partition: 0 }]);
    await page.selectOption('#dlq-topic', dlq);
    const row = page.locator('tr.dl[data-partition="0"][data-offset="0"]');
    await row.waitFor({ timeout: 60_000 });
    expect(await row.getAttribute('data-code')).to.equal('SEDA_STAGE_PROCESS');
    expect(await row.textContent()).to.include('refusing bad-page');
    mkdirSync(join(screenshot, '..'), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });

    // Replay from the page: back on the source topic once; a second click without force replays nothing.
    await row.locator('button.replay-one').click();
    await page.waitForFunction(() => (document.getElementById('replay-result')?.textContent ?? '').startsWith('1 replayed'), undefined, { timeout: 30_000 });
    await row.locator('button.replay-one').click();
    await page.waitForFunction(() => document.getElementById('replay-result')?.textContent === '0 replayed, 1 skipped (already replayed)', undefined, { timeout: 30_000 });
    const replayed = kcat(a).filter((l) => l.includes(`seda.replay.from=${dlq}/0/0`));
    expect(replayed).to.have.length(1);
    expect(replayed[0]).to.match(/^bad-page\|\{"n":-1\}\|/);
    rmSync(stateDir, { recursive: true, force: true });
  });
});
