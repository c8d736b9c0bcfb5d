import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, startSeda, waitFor } from './support/process.js';

interface Report {
  pass: boolean;
  interrupted: boolean;
  readings: { produced: number; malformed: number };
  kills: Array<{ name: string; pid: number }>;
  checks: Array<{ name: string; pass: boolean; detail: string }>;
}

/** Runs `seda demo` in its own directory; resolves with its exit code, output and JSON report. */
async function demo(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; report: Report; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'seda-demo-'));
  const p = startSeda(['demo', '--dir', join(dir, 'run'), '--report', join(dir, 'report.json'), ...args], { cwd: dir });
  const { code } = await p.exited(timeoutMs);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
  return { code, stdout: p.stdout(), report, dir };
}

const failures = (r: Report): string[] => r.checks.filter((c) => !c.pass).map((c) => `${c.name}: ${c.detail}`);

describe('seda demo (the electric-readings pipeline, real processes)', function () {
  this.timeout(180_000);

  it('runs every stage, drains, stops cleanly and passes every check against ground truth (10 s of readings)', async () => {
    const { code, stdout, report } = await demo(['--duration', '10s'], 150_000);
    expect(failures(report), stdout.slice(-3000)).to.deep.equal([]);
    expect(code).to.equal(0);
    expect(report.pass).to.equal(true);
    expect(report.readings.produced).to.be.greaterThan(5000);
    expect(report.readings.malformed, 'malformed readings are injected, so the DLQ paths are exercised').to.be.greaterThan(0);
    const names = report.checks.map((c) => c.name);
    for (const part of ['audit trail', 'audit DLQ', 'billing DLQ', 'consumption-average DLQ', 'billing: totals', 'hourly averages', 'alerts =', 'drained', 'clean run and stop', 'retention']) {
      expect(names.some((n) => n.includes(part)), part).to.equal(true);
    }
    // Billing is the stream-table join: tariff changes written mid-run applied to readings after them.
    const billing = report.checks.find((c) => c.name.startsWith('billing: totals'))!.detail;
    const m = /(\d+) changes mid-run applied from their timestamp on \((\d+) readings billed after/.exec(billing);
    expect(m, billing).to.not.equal(null);
    expect(Number(m![1]), billing).to.be.greaterThan(0);
    expect(Number(m![2]), billing).to.be.greaterThan(0);
    // Without a terminal: plain progress lines while it runs, then PASS per check.
    expect(stdout).to.match(/^\[ *0:\d\d\] producing .*audit in [\d,]+ lag/m);
    expect(stdout).to.match(/^ {2}PASS {2}hourly averages = ground truth/m);
    expect(stdout).to.match(/^PASS: \d+ of \d+ checks passed/m);
  });

  it('--kill-random: stage processes SIGKILLed at random and restarted, every check still passes', async () => {
    const { code, stdout, report } = await demo(['--duration', '10s', '--kill-random', '--kill-every', '2s', '--seed', '7'], 170_000);
    expect(failures(report), stdout.slice(-3000)).to.deep.equal([]);
    expect(code).to.equal(0);
    expect(report.kills.length).to.be.at.least(2);
    expect(stdout).to.match(/kill-random: SIGKILL /);
    expect(report.checks.find((c) => c.name.startsWith('billing: totals'))!.detail).to.match(/[1-9]\d* changes mid-run applied/);
  });

  it('Ctrl-C (SIGINT) mid-run stops every process it started, workers included: no pid left behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seda-demo-int-'));
    const p = startSeda(['demo', '--dir', join(dir, 'run'), '--duration', '60s'], { cwd: dir });
    await waitFor(() => /^\[ *0:\d\d\] producing/m.test(p.stdout()), 90_000, 'the demo to be producing');
    const pids = JSON.parse(readFileSync(join(dir, 'run', 'pids.json'), 'utf8')) as { demo: number; processes: Array<{ name: string; pid: number }> };
    expect(pids.demo).to.equal(p.child.pid);
    expect(pids.processes.map((x) => x.name)).to.include.members(['audit', 'billing', 'consumption-average', 'consumption-average#0', 'consumption-average#1', 'alerts', 'meter-readings']);
    expect(pids.processes.every((x) => isAlive(x.pid)), 'all running before the signal').to.equal(true);
    p.kill('SIGINT');
    const { code } = await p.exited(60_000);
    expect(code).to.equal(130);
    expect(p.stdout()).to.match(/^interrupted: every process was stopped/m);
    // Exited children are reaped by init once the demo is gone: give it a moment.
    await waitFor(() => pids.processes.every((x) => !isAlive(x.pid)), 5_000, `every child gone: ${JSON.stringify(pids.processes.filter((x) => isAlive(x.pid)))}`);
  });
});
