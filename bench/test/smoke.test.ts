import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBench } from '../src/runner.js';
import type { ScenarioResult } from '../src/results.js';

const quiet = { start: () => {}, update: () => {}, stop: () => {} };

/** Every system of a result measured completely: figures present, every record through once or more, no errors. */
function assertComplete(r: ScenarioResult): void {
  // Opt-in peers (npm run bench:peers) absent, or one the embedded broker cannot serve: said, not measured.
  for (const s of r.systems.filter((x) => x.notMeasured !== undefined)) expect(s.id, `${r.scenario}/${s.id}: ${s.notMeasured}`).to.be.oneOf(['confluent', 'platformatic']);
  for (const s of r.systems.filter((x) => x.notMeasured === undefined)) {
    expect(s.errors, `${r.scenario}/${s.id} errors`).to.deep.equal([]);
    expect(s.missing, `${r.scenario}/${s.id} missing`).to.equal(0);
    expect(s.figures.msgsPerSec, `${r.scenario}/${s.id} msg/s`).to.be.greaterThan(0);
    expect(s.figures.cpuSecPerM, `${r.scenario}/${s.id} CPU`).to.be.greaterThan(0);
    expect(s.figures.peakRssMB, `${r.scenario}/${s.id} RSS`).to.be.greaterThan(0);
    for (const m of s.runs) expect(m.errors, `${r.scenario}/${s.id} ${m.phase}`).to.deep.equal([]);
    const full = s.runs.filter((m) => m.phase === 'throughput');
    expect(full, `${r.scenario}/${s.id} full-speed runs`).to.have.length(1);
    // The CPU-bound scaling stage gets a tenth of the messages (at least 2000).
    expect(full[0].messages).to.equal(s.id.startsWith('cpu') ? Math.max(2000, r.options.messages / 10) : r.options.messages);
    if (!s.baseline) expect(s.ratio.msgsPerSec, `${r.scenario}/${s.id} ratio`).to.be.greaterThan(0);
  }
}

describe('bench smoke run (every scenario, a few thousand messages)', function () {
  this.timeout(180_000);
  const out = mkdtempSync(join(tmpdir(), 'seda-bench-smoke-'));

  it('measures every scenario completely and consistently, and saves JSON, RESULTS.md and charts', async () => {
    // Full-speed phases of every scenario, small.
    const results = await runBench(
      { scenarios: ['produce', 'fanout', 'stateful', 'scaling'], messages: 3000, partitions: 4, meters: 100, rate: 0, out, json: join(out, 'all.json') },
      { out: { write: () => true }, progress: quiet },
    );
    // Passthrough with its fixed-rate latency phase too.
    results.push(...(await runBench({ scenarios: ['passthrough'], messages: 3000, partitions: 4, rate: 1000, quick: true, out }, { out: { write: () => true }, progress: quiet })));
    expect(results.map((r) => r.scenario)).to.deep.equal(['produce', 'fanout', 'stateful', 'scaling', 'passthrough']);
    for (const r of results) assertComplete(r);

    const passthrough = results.find((r) => r.scenario === 'passthrough')!;
    expect(passthrough.systems.map((s) => s.id)).to.include.members(['raw', 'rawh', 'seda', 'kafkajs']);
    for (const s of passthrough.systems.filter((x) => x.notMeasured === undefined)) {
      const latency = s.runs.find((m) => m.phase === 'latency');
      expect(latency?.latency?.count, `${s.id} latency samples`).to.equal(1000 * 3);
      expect(s.figures.rateP99).to.be.greaterThan(0);
    }
    const fanout = results.find((r) => r.scenario === 'fanout')!;
    expect(fanout.systems.every((s) => s.runs[0].groups === 3)).to.equal(true);
    const scaling = results.find((r) => r.scenario === 'scaling')!;
    expect(scaling.systems.map((s) => s.runs[0].instances)).to.deep.equal([1, 2, 1, 2, 1, 2]);

    // The passthrough run was --quick: its files are <scenario>-quick.*.
    for (const name of ['produce', 'passthrough-quick', 'fanout', 'stateful', 'scaling']) {
      const saved = JSON.parse(readFileSync(join(out, 'results', `${name}.json`), 'utf8')) as ScenarioResult;
      expect(saved.systems.find((s) => s.baseline)?.ratio.msgsPerSec).to.equal(1);
      expect(existsSync(join(out, 'results', `${name}.svg`))).to.equal(true);
    }
    const all = JSON.parse(readFileSync(join(out, 'all.json'), 'utf8')) as { results: ScenarioResult[] };
    expect(all.results).to.have.length(4);
    expect(readFileSync(join(out, 'RESULTS.md'), 'utf8').match(/^## /gm)).to.have.length(5);
  });
});
