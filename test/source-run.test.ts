import { expect } from 'chai';
import { testSource } from '@seda/core';
import meterReadings from '@seda/stage-meter-readings';
import { createTestTopic, testBroker } from './support/broker.js';
import { runSeda, startSeda, waitFor } from './support/process.js';
import { readAll } from './support/topic-io.js';

const START = '2026-02-01T00:00:00Z';

const oneError = (stderr: string): string => {
  const lines = stderr.trim().split('\n').filter((l) => l.startsWith('error: '));
  expect(lines, stderr).to.have.lengthOf(1);
  return lines[0];
};

describe('seda run <source> (meter-readings against the broker)', function () {
  this.timeout(90_000);

  it('produces exactly the seeded readings, every one acknowledged, and says so', async () => {
    const topic = await createTestTopic('readings', 4);
    const args = ['--meters', '7', '--count', '700', '--seed', '11', '--start', START, '--malformed-every', '100', '--ts-format', 'mixed'];
    const r = await runSeda(['run', 'meter-readings', '--brokers', testBroker().bootstrap, '--output', `readings=${topic}`, ...args]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(new RegExp(`meter-readings: produced 700 records \\(700 acknowledged\\) in [\\d.]+ s: ${topic} 700`));
    const got = await readAll(testBroker().bootstrap, topic, { expected: 700, idleMs: 1000 });
    // The same options in memory give the same records: the runtime adds and drops nothing.
    const want = (await testSource(meterReadings, { options: { meters: 7, count: 700, seed: 11, start: START, malformedEvery: 100, tsFormat: 'mixed' } })).outputs('readings');
    const line = (key: string | null, value: unknown): string => `${key}|${typeof value === 'string' ? value : JSON.stringify(value)}`;
    expect(got.map((g) => line(g.key, g.value)).sort()).to.deep.equal(want.map((w) => line(w.key, w.value)).sort());
    // Records of one meter keep their order on its partition.
    const meter3 = got.filter((g) => g.key === 'meter3').sort((a, b) => a.offset - b.offset);
    expect(new Set(meter3.map((g) => g.partition)).size).to.equal(1);
    expect(meter3.map((g) => g.value)).to.deep.equal(want.filter((w) => w.key === 'meter3').map((w) => JSON.stringify(w.value)));
  });

  it('SIGTERM stops a paced source: what it produced is delivered, counted and exits 0', async () => {
    const topic = await createTestTopic('readings-term', 2);
    const p = startSeda(['run', 'meter-readings', '--brokers', testBroker().bootstrap, '--output', `readings=${topic}`, '--meters', '3', '--rate', '200', '--seed', '1', '--log-level', 'info']);
    await p.waitForLog((l) => l.msg === 'source started', 30_000, 'source started');
    await new Promise((r) => setTimeout(r, 1500));
    p.kill('SIGTERM');
    const { code } = await p.exited(30_000);
    expect(code, p.stderr()).to.equal(0);
    const m = /produced (\d+) records \((\d+) acknowledged\).*stopped by signal/.exec(p.stdout());
    expect(m, p.stdout()).to.not.equal(null);
    expect(m![1]).to.equal(m![2]);
    await waitFor(async () => (await readAll(testBroker().bootstrap, topic, { idleMs: 500 })).length === Number(m![1]), 20_000, `${m![1]} records on ${topic}`, 500);
  });

  it('bad options give one clear error before connecting, for sources and stages alike', async () => {
    const unreachable = ['--brokers', '127.0.0.1:1'];
    const bad = await runSeda(['run', 'meter-readings', ...unreachable, '--meters', '0', '--ts-format', 'csv']);
    expect(bad.code).to.not.equal(0);
    expect(oneError(bad.stderr)).to.match(/"meters" must be at least 1.*"tsFormat" must be one of ms, iso, mixed/);
    const unknown = await runSeda(['run', 'meter-readings', ...unreachable, '--metres', '5']);
    expect(oneError(unknown.stderr)).to.match(/unknown option --metres for "meter-readings" \(its options: --meters, /);
    const stage = await runSeda(['run', 'billing', ...unreachable, '--peak-start', '7am', '--set', 'peakPrice=-1']);
    expect(oneError(stage.stderr)).to.match(/"peakStart" must be a time of day HH:MM.*"peakPrice" must be at least 0/);
    const instances = await runSeda(['run', 'meter-readings', ...unreachable, '--count', '1', '--group', 'g']);
    expect(oneError(instances.stderr)).to.match(/is a source .*--group appl(y|ies) to stages only/);
  });
});
