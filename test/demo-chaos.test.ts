import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSeda } from './support/process.js';

interface Report {
  pass: boolean;
  faults: Array<{ kind: string; detail: string; atMs: number }>;
  kills: Array<{ name: string; pid: number }>;
  checks: Array<{ name: string; pass: boolean; detail: string }>;
}

// Issue 17, item 2: broker faults under a running pipeline. The full-length run is
// `seda demo --chaos --kill-random` (docs/chaos.md).
describe('seda demo --chaos (broker faults injected while the source runs)', function () {
  this.timeout(240_000);

  it('a broker down and up, leader moves, Produce/Fetch/OffsetCommit/JoinGroup errors and RTT spikes: every check still passes, every fault listed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seda-chaos-'));
    const p = startSeda(['demo', '--dir', join(dir, 'run'), '--report', join(dir, 'report.json'), '--duration', '16s', '--chaos', '--chaos-every', '800ms', '--seed', '5'], { cwd: dir });
    const { code } = await p.exited(220_000);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
    const failed = report.checks.filter((c) => !c.pass).map((c) => `${c.name}: ${c.detail}`);
    expect(failed, p.stdout().slice(-4000)).to.deep.equal([]);
    expect(code).to.equal(0);
    expect(report.checks.find((c) => c.name.startsWith('billing: totals'))!.detail).to.match(/[1-9]\d* changes mid-run applied/);
    // One round holds every kind of fault, and the summary lists each one injected.
    const kinds = new Set(report.faults.map((f) => f.kind));
    expect([...kinds].sort()).to.deep.equal(['broker-down', 'commit-errors', 'fetch-errors', 'join-errors', 'leader-move', 'produce-errors', 'rtt-spike']);
    expect(report.checks.some((c) => c.name.startsWith('chaos:') && c.pass)).to.equal(true);
    expect(p.stdout()).to.match(/^ {2}faults injected \(--chaos\): \d+$/m);
    for (const f of report.faults) expect(p.stdout()).to.contain(f.detail);
  });
});
