import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupLag } from '@seda/kafka';
import { lineageHeader } from '@seda/core';
import { createTestTopic, testBroker } from './support/broker.js';
import { killRepeatedly } from './support/kill-repeatedly.js';
import { runSeda, startSeda, waitFor } from './support/process.js';
import { joinTruth, joinWorkload } from './support/tables.js';
import { produceRaw, readAll } from './support/topic-io.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));
const fast = ['--kafka', 'session.timeout.ms=6000', '--kafka', 'heartbeat.interval.ms=500', '--commit-interval', '200'];

describe('tables (real processes)', function () {
  this.timeout(300_000);

  it('stream-table join: the table changes while the stream runs, the stage SIGKILLed 5 times, every output is priced as of its timestamp', async () => {
    const brokers = testBroker().bootstrap;
    const input = await createTestTopic('join-in', 4);
    const table = await createTestTopic('join-tariffs', 4);
    const output = await createTestTopic('join-out', 4);
    const w = joinWorkload(Number(process.env.SEDA_TORTURE_READINGS ?? 16_000), 20, 4, 40, Date.now() - 3_600_000);
    const truth = joinTruth(w);
    const sent = new Set(w.tariffs.filter((t) => t.timestamp < w.readings[0].timestamp));
    await produceRaw(brokers, table, [...sent]);
    // The feed: chunk by chunk, in timestamp order, each tariff change acknowledged before the readings it applies to are written.
    let fed = false;
    const feed = (async () => {
      const chunk = 500;
      for (let i = 0; i < w.readings.length; i += chunk) {
        const readings = w.readings.slice(i, i + chunk);
        const last = readings[readings.length - 1].timestamp;
        const changes = w.tariffs.filter((t) => t.timestamp <= last && !sent.has(t));
        for (const t of changes) sent.add(t);
        await produceRaw(brokers, table, changes);
        await produceRaw(brokers, input, readings);
        await new Promise((r) => setTimeout(r, 150));
      }
      fed = true;
    })();
    const dir = mkdtempSync(join(tmpdir(), 'seda-join-'));
    const group = `${input}-g`;
    const args = ['run', fixture('tariff-join'), '--brokers', brokers, '--input', input, '--output', `out=${output}`, '--group', group, '--from-beginning', '--state-dir', dir, '--batch-size', '200', '--table-idle', '10000', ...fast];
    const drained = async (): Promise<boolean> => {
      if (!fed) return false;
      const lag = await groupLag(brokers, group, [input]).catch(() => []);
      return lag.length === 4 && lag.every((l) => l.lag === 0 && l.committed > 0);
    };
    const env = { SEDA_LOG_LEVEL: 'info', SEDA_FIXTURE_TABLE_TOPIC: table, SEDA_FIXTURE_PAUSE_EVERY: '20', SEDA_FIXTURE_PAUSE_MS: '20' };
    const kills = await killRepeatedly(args, env, 5, drained);
    await feed;

    const outputs = await readAll(brokers, output, { idleMs: 3000, timeoutMs: 60_000 });
    const mismatches: string[] = [];
    const byLineage = new Map<string, string>();
    const seen = new Set<number>();
    for (const o of outputs) {
      const v = JSON.parse(o.value) as { id: number; price: number | null };
      seen.add(v.id);
      if (truth.get(v.id) !== v.price) mismatches.push(`reading ${v.id}: price ${v.price}, expected ${truth.get(v.id)}`);
      const lineage = o.headers[lineageHeader];
      const before = byLineage.get(lineage);
      if (before !== undefined && before !== o.value) mismatches.push(`lineage ${lineage} emitted twice with other content: ${before} / ${o.value}`);
      byLineage.set(lineage, o.value);
    }
    expect(kills).to.be.at.least(5);
    expect(seen.size, 'every reading has an output').to.equal(w.readings.length);
    expect(mismatches, mismatches.slice(0, 5).join('\n')).to.deep.equal([]);
    console.log(`      figures: ${w.readings.length} readings, ${w.tariffs.length} tariffs over 4 partitions; ${kills} SIGKILLs; ${outputs.length} outputs (${outputs.length - w.readings.length} replayed); mismatches ${mismatches.length}`);
  });

  it('restore on a new machine: the state directory lost, offsets come back from the changelog and the table from its own topic, every output still exact', async () => {
    const brokers = testBroker().bootstrap;
    const input = await createTestTopic('restore-in', 4);
    const table = await createTestTopic('restore-tariffs', 4);
    const output = await createTestTopic('restore-out', 4);
    const w = joinWorkload(6000, 12, 4, 25, Date.now() - 3_600_000);
    const truth = joinTruth(w);
    // Written in timestamp order: each tariff before the readings it applies to.
    for (let i = 0; i < w.readings.length; i += 1000) {
      const readings = w.readings.slice(i, i + 1000);
      await produceRaw(brokers, table, w.tariffs.filter((t) => t.timestamp <= readings[readings.length - 1].timestamp && (i === 0 || t.timestamp > w.readings[i - 1].timestamp)));
      await produceRaw(brokers, input, readings);
    }
    const group = `${input}-g`;
    const args = (dir: string): string[] => ['run', fixture('tariff-join'), '--brokers', brokers, '--input', input, '--output', `out=${output}`, '--group', group, '--from-beginning', '--state-dir', dir, '--batch-size', '100', ...fast];
    const env = { SEDA_FIXTURE_TABLE_TOPIC: table, SEDA_FIXTURE_PAUSE_EVERY: '10', SEDA_FIXTURE_PAUSE_MS: '10' };
    const first = startSeda(args(mkdtempSync(join(tmpdir(), 'seda-restore-a-'))), { env });
    await waitFor(async () => (await groupLag(brokers, group, [input]).catch(() => [])).filter((l) => l.committed > 200).length === 4, 60_000, 'every partition part-way', 200, [first]);
    first.kill('SIGKILL');
    await first.exited(10_000);
    // Another machine: an empty state directory.
    const second = startSeda(args(mkdtempSync(join(tmpdir(), 'seda-restore-b-'))), { env: { SEDA_FIXTURE_TABLE_TOPIC: table } });
    const starts = (await second.waitForLog((l) => l.msg === 'starting partitions at stored offsets', 60_000, 'assignment')).starts as Array<{ offset: number }>;
    const tables = second.logs().filter((l) => l.msg === 'tables starting at stored positions') as Array<{ tables: Array<{ from: number }> }>;
    await waitFor(async () => (await groupLag(brokers, group, [input]).catch(() => [])).every((l) => l.lag === 0), 60_000, 'drained', 300, [second]);
    second.kill('SIGTERM');
    expect((await second.exited(60_000)).code).to.equal(0);
    expect(starts.every((s) => s.offset > 0), `offsets restored from the changelog: ${JSON.stringify(starts)}`).to.equal(true);
    expect(tables.flatMap((t) => t.tables.map((x) => x.from)), 'tables rebuilt from their topic').to.deep.equal([0, 0, 0, 0]);
    const outputs = await readAll(brokers, output, { idleMs: 2000, timeoutMs: 60_000 });
    const mismatches = outputs.map((o) => JSON.parse(o.value) as { id: number; price: number | null }).filter((v) => truth.get(v.id) !== v.price);
    expect(new Set(outputs.map((o) => (JSON.parse(o.value) as { id: number }).id)).size).to.equal(w.readings.length);
    expect(mismatches.slice(0, 5)).to.deep.equal([]);
  });

  it('refuses a co-partitioned table whose topic has another partition count than the input, with one clear error', async () => {
    const brokers = testBroker().bootstrap;
    const input = await createTestTopic('copart-in', 4);
    const table = await createTestTopic('copart-tariffs', 2);
    const output = await createTestTopic('copart-out', 4);
    const dir = mkdtempSync(join(tmpdir(), 'seda-copart-'));
    const r = await runSeda(['run', fixture('tariff-join'), '--brokers', brokers, '--input', input, '--output', `out=${output}`, '--state-dir', dir], { env: { SEDA_FIXTURE_TABLE_TOPIC: table }, timeoutMs: 60_000 });
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.match(new RegExp(`^error: stage "tariff-join": table "tariffs" reads topic "${table}" with 2 partition\\(s\\), but its input "${input}" has 4`, 'm'));
    expect(r.stderr).to.contain('declare the table global: true');
    const missing = await runSeda(['run', fixture('tariff-join'), '--brokers', brokers, '--input', input, '--output', `out=${output}`, '--state-dir', dir], { env: { SEDA_FIXTURE_TABLE_TOPIC: `${table}-nope` }, timeoutMs: 60_000 });
    expect(missing.code).to.not.equal(0);
    expect(missing.stderr).to.match(/^error: .*topic.*-nope/m);
  });

  it('--table name=topic reads a table from another topic than the declared one; an unknown table name is refused', async () => {
    const brokers = testBroker().bootstrap;
    const input = await createTestTopic('override-in', 2);
    const table = await createTestTopic('override-tariffs', 2);
    const output = await createTestTopic('override-out', 2);
    const t0 = Date.now() - 60_000;
    await produceRaw(brokers, table, [0, 1].map((p) => ({ partition: p, key: `m${p}`, value: JSON.stringify({ price: 10 + p }), timestamp: t0 })));
    await produceRaw(brokers, input, Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, key: `m${i % 2}`, value: JSON.stringify({ id: i, kwh: 1 }), timestamp: t0 + 1000 + i })));
    const dir = mkdtempSync(join(tmpdir(), 'seda-override-'));
    const base = ['run', fixture('tariff-join'), '--brokers', brokers, '--input', input, '--output', `out=${output}`, '--group', `${input}-g`, '--from-beginning', '--state-dir', dir, ...fast];
    // The declared topic does not exist: only the override can make the run work.
    const env = { SEDA_FIXTURE_TABLE_TOPIC: `${table}-declared-missing` };
    const unknown = await runSeda([...base, '--table', `tarifs=${table}`], { env, timeoutMs: 60_000 });
    expect(unknown.code).to.not.equal(0);
    expect(unknown.stderr).to.match(/^error: stage "tariff-join" has no table "tarifs" \(--table tarifs=\.\.\.\); its tables are: tariffs$/m);
    const p = startSeda([...base, '--table', `tariffs=${table}`], { env });
    try {
      const outputs = await readAll(brokers, output, { expected: 20, idleMs: 30_000, timeoutMs: 60_000 });
      const prices = outputs.map((o) => JSON.parse(o.value) as { id: number; price: number | null });
      expect(prices.length, p.stderr().slice(-2000)).to.equal(20);
      expect(prices.filter((v) => v.price !== 10 + (v.id % 2))).to.deep.equal([]);
    } finally {
      p.kill('SIGTERM');
      expect((await p.exited(60_000)).code).to.equal(0);
    }
  });

  it('global table: every instance reads all partitions (any count), lookups by another key, and follows updates', async () => {
    const brokers = testBroker().bootstrap;
    const input = await createTestTopic('lookup-in', 4);
    const table = await createTestTopic('lookup-sites', 3);
    const output = await createTestTopic('lookup-out', 4);
    const now = Date.now();
    const sites = Array.from({ length: 30 }, (_, s) => ({ partition: s % 3, key: `site${s}`, value: JSON.stringify({ region: `r${s % 5}` }), timestamp: now }));
    await produceRaw(brokers, table, sites);
    const readings = Array.from({ length: 400 }, (_, i) => ({ partition: i % 4, key: `m${i % 17}`, value: JSON.stringify({ id: i, site: `site${i % 30}` }), timestamp: now }));
    await produceRaw(brokers, input, readings);
    const dir = mkdtempSync(join(tmpdir(), 'seda-lookup-'));
    const args = ['run', fixture('site-lookup'), '--brokers', brokers, '--input', input, '--output', `out=${output}`, '--group', `${input}-g`, '--from-beginning', '--state-dir', dir, ...fast];
    const p = startSeda(args, { env: { SEDA_FIXTURE_TABLE_TOPIC: table } });
    try {
      const first = await readAll(brokers, output, { expected: 400, timeoutMs: 60_000 });
      const wrong = first.map((o) => JSON.parse(o.value) as { id: number; region: string }).filter((v) => v.region !== `r${(v.id % 30) % 5}`);
      expect(first.length).to.equal(400);
      expect(wrong, JSON.stringify(wrong.slice(0, 3))).to.deep.equal([]);
      // An update of the table reaches the running stage (eventually: a global table is not ordered with the stream).
      await produceRaw(brokers, table, [{ partition: 0, key: 'site0', value: JSON.stringify({ region: 'moved' }), timestamp: Date.now() }]);
      let id = 1000;
      await waitFor(
        async () => {
          await produceRaw(brokers, input, [{ partition: 0, key: 'm0', value: JSON.stringify({ id: ++id, site: 'site0' }), timestamp: Date.now() }]);
          await new Promise((r) => setTimeout(r, 300));
          const all = await readAll(brokers, output, { idleMs: 500, timeoutMs: 10_000 });
          return all.some((o) => (JSON.parse(o.value) as { region: string }).region === 'moved');
        },
        60_000,
        'an output with the updated region',
        200,
        [p],
      );
    } finally {
      p.kill('SIGTERM');
      expect((await p.exited(60_000)).code).to.equal(0);
      }
  });
});
