import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupLag, openChangelog } from '@seda/kafka';
import { createTestTopic, testBroker, uniqueTopic } from './support/broker.js';
import { runSeda, startSeda, waitFor, type SedaProcess } from './support/process.js';
import { compare, groundTruth, readings, storedWindows } from './support/readings.js';
import { produceRaw } from './support/topic-io.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));
const fast = ['--kafka', 'session.timeout.ms=6000', '--kafka', 'heartbeat.interval.ms=500', '--commit-interval', '200'];

type Log = { [key: string]: unknown };
const restored = (p: SedaProcess): Log[] => p.logs().filter((l) => l.msg === 'partition state restored');

async function lagOf(group: string, topic: string): Promise<Array<{ lag: number; committed: number }>> {
  return groupLag(testBroker().bootstrap, group, [topic]).catch(() => []);
}

async function drained(group: string, topic: string, partitions: number): Promise<boolean> {
  const lag = await lagOf(group, topic);
  return lag.length === partitions && lag.every((l) => l.lag === 0 && l.committed > 0);
}

describe('state follows its partitions through the changelog (real processes, separate state dirs as on separate machines)', function () {
  this.timeout(300_000);

  it('A processes half alone, B joins (partitions move), A is SIGKILLed, B finishes: every hourly aggregate exact', async () => {
    const input = await createTestTopic('cl-move-in', 4);
    const output = await createTestTopic('cl-move-out', 4);
    const rows = readings(40_000, 20, 4);
    await produceRaw(testBroker().bootstrap, input, rows);
    // Small fetches spread A's progress over its partitions.
    const base = ['run', fixture('hourly'), '--brokers', testBroker().bootstrap, '--input', input, '--output', `out=${output}`, '--group', 'cl-move-g', '--from-beginning', '--batch-size', '200', '--kafka', 'max.partition.fetch.bytes=8192', ...fast];
    const dirA = mkdtempSync(join(tmpdir(), 'seda-machine-a-'));
    const dirB = mkdtempSync(join(tmpdir(), 'seda-machine-b-'));
    // Slow (about 2500 records/s), so that B joins and A dies mid-stream.
    const env = { SEDA_FIXTURE_PAUSE_EVERY: '50', SEDA_FIXTURE_PAUSE_MS: '20' };
    const a = startSeda([...base, '--state-dir', dirA], { env });
    await a.waitForLog((l) => l.msg === 'partitions assigned' && (l.partitions as number[]).length === 4, 60_000, 'A assigned every partition');
    await waitFor(async () => (await lagOf('cl-move-g', input)).reduce((n, l) => n + Math.max(0, l.committed), 0) >= rows.length / 2, 120_000, 'A to process half', 200, [a]);

    type Starts = { starts: Array<{ partition: number; offset: number }> };
    const startsOf = (p: SedaProcess, from: number, count: number): Starts[] =>
      p.logs().slice(from).filter((l) => l.msg === 'starting partitions at stored offsets' && (l.starts as unknown[]).length === count) as unknown as Starts[];
    const b = startSeda([...base, '--state-dir', dirB], { env });
    await waitFor(() => startsOf(b, 0, 2).length > 0, 60_000, 'B to start two partitions', 100, [b]);
    // B's store lacked them: it resumed where A's state ended, restored from the changelog.
    const handedOver = startsOf(b, 0, 2)[0].starts.filter((s) => s.offset > 0);
    expect(handedOver.length, JSON.stringify(startsOf(b, 0, 2)[0])).to.be.above(0);
    expect(restored(b).length).to.be.at.least(handedOver.length);

    const beforeKill = b.logs().length;
    a.kill('SIGKILL');
    await a.exited(10_000);
    await waitFor(() => startsOf(b, beforeKill, 4).length > 0, 60_000, 'B to take every partition', 100, [b]);
    await waitFor(() => drained('cl-move-g', input, 4), 120_000, 'B to drain the input', 300, [b]);
    b.kill('SIGTERM');
    expect((await b.exited(60_000)).code).to.equal(0);

    // B's store alone holds every partition: what it restored from A's changelog plus what it did itself.
    expect(restored(b).every((l) => (l.records as number) > 0)).to.equal(true);
    const mismatches = compare(await storedWindows(dirB, input, 4), groundTruth(rows));
    expect(mismatches, mismatches.slice(0, 5).join('\n')).to.deep.equal([]);

    // seda state compares each local copy with the changelog: B's is current, A's (left behind) is not.
    const stateOf = async (dir: string): Promise<string[][]> => {
      const r = await runSeda(['state', 'hourly', '--state-dir', dir]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.contain('changelog: cl-move-g-hourly-changelog');
      return r.stdout.trim().split('\n').slice(3).map((l) => l.split('\t'));
    };
    const rowsB = await stateOf(dirB);
    expect(rowsB).to.have.length(4);
    for (const row of rowsB) expect(row[4], row.join(' ')).to.equal(row[5]);
    const rowsA = await stateOf(dirA);
    expect(rowsA.some((row) => /local copy \d+ behind/.test(row[5])), rowsA.map((r) => r.join(' ')).join('\n')).to.equal(true);
  });

  it('a standby keeps warm copies of the partitions another instance owns: taking them over reads only the newest changelog records', async () => {
    const input = await createTestTopic('cl-standby-in', 4);
    const output = await createTestTopic('cl-standby-out', 4);
    const rows = readings(40_000, 20, 4);
    await produceRaw(testBroker().bootstrap, input, rows);
    const base = ['run', fixture('hourly'), '--brokers', testBroker().bootstrap, '--input', input, '--output', `out=${output}`, '--group', 'cl-standby-g', '--from-beginning', '--batch-size', '200', '--kafka', 'max.partition.fetch.bytes=8192', ...fast];
    const env = { SEDA_FIXTURE_PAUSE_EVERY: '50', SEDA_FIXTURE_PAUSE_MS: '20' };
    const a = startSeda([...base, '--state-dir', mkdtempSync(join(tmpdir(), 'seda-owner-'))], { env });
    await a.waitForLog((l) => l.msg === 'partitions assigned' && (l.partitions as number[]).length === 4, 60_000, 'A assigned every partition');
    const dirB = mkdtempSync(join(tmpdir(), 'seda-standby-'));
    const b = startSeda([...base, '--state-dir', dirB, '--standby'], { env });
    const ownedByB = (await b.waitForLog((l) => l.msg === 'partitions assigned', 60_000, 'B assigned')) as { partitions: number[] };
    // Let a standby round or two run while A keeps processing its partitions.
    await b.waitForLog((l) => l.msg === 'standby: keeping warm copies of partitions owned elsewhere', 30_000, 'standby started');
    await new Promise((r) => setTimeout(r, 7000));
    const beforeKill = b.logs().length;
    a.kill('SIGKILL');
    await a.exited(10_000);
    await b.waitForLog((l) => l.msg === 'partitions assigned' && (l.partitions as number[]).length === 4, 60_000, 'B to take every partition');
    await waitFor(() => drained('cl-standby-g', input, 4), 120_000, 'B to drain the input', 300, [b]);
    b.kill('SIGTERM');
    expect((await b.exited(60_000)).code).to.equal(0);

    // Every partition B took over was restored from where its warm copy stood, not from the changelog's start.
    const takenOver = [0, 1, 2, 3].filter((p) => !ownedByB.partitions.includes(p));
    // Warmed before the kill: the partitions of A's with changelog records by then.
    const warmedLogs = b.logs().slice(0, beforeKill).filter((l) => l.msg === 'partition state restored') as Array<{ changelog: string }>;
    const warmed = takenOver.filter((p) => warmedLogs.some((l) => l.changelog.endsWith(`/${p}`)));
    expect(warmed.length, 'partitions warmed by the standby before the kill').to.be.above(0);
    const takeovers = b.logs().slice(beforeKill).filter((l) => l.msg === 'restoring partition state from the changelog') as Array<{ changelog: string; from: number }>;
    for (const p of warmed) {
      const restore = takeovers.find((l) => l.changelog.endsWith(`/${p}`));
      if (restore !== undefined) expect(restore.from, `partition ${p}`).to.be.above(0);
    }
    const mismatches = compare(await storedWindows(dirB, input, 4), groundTruth(rows));
    expect(mismatches, mismatches.slice(0, 5).join('\n')).to.deep.equal([]);
  });

  it('a state directory deleted between runs is restored from the changelog: nothing reprocessed, every aggregate exact', async () => {
    const input = await createTestTopic('cl-lost-in', 2);
    const output = await createTestTopic('cl-lost-out', 2);
    const rows = readings(6_000, 10, 3);
    await produceRaw(testBroker().bootstrap, input, rows);
    const dir = mkdtempSync(join(tmpdir(), 'seda-lost-'));
    const args = ['run', fixture('hourly'), '--brokers', testBroker().bootstrap, '--input', input, '--output', `out=${output}`, '--group', 'cl-lost-g', '--from-beginning', '--state-dir', dir, ...fast];
    const first = startSeda(args);
    await waitFor(() => drained('cl-lost-g', input, 2), 60_000, 'drained', 300);
    first.kill('SIGTERM');
    expect((await first.exited(30_000)).code).to.equal(0);

    rmSync(dir, { recursive: true, force: true });
    const second = startSeda(args);
    await waitFor(() => restored(second).length === 2, 60_000, 'both partitions restored');
    await second.waitForLog((l) => l.msg === 'stage started', 30_000, 'started');
    await new Promise((r) => setTimeout(r, 1000));
    second.kill('SIGTERM');
    expect((await second.exited(30_000)).code).to.equal(0);
    const stopped = second.logs().find((l) => l.msg === 'stage stopped') as { counters?: { recordsIn: number } };
    expect(stopped.counters?.recordsIn).to.equal(0);
    const mismatches = compare(await storedWindows(dir, input, 2), groundTruth(rows));
    expect(mismatches, mismatches.slice(0, 5).join('\n')).to.deep.equal([]);
  });

  it('a stage SIGKILLed while it restores restores again on restart and stays exact', async () => {
    const input = await createTestTopic('cl-crash-in', 2);
    const output = await createTestTopic('cl-crash-out', 2);
    const rows = readings(20_000, 20, 3);
    await produceRaw(testBroker().bootstrap, input, rows);
    const args = (dir: string): string[] => ['run', fixture('hourly'), '--brokers', testBroker().bootstrap, '--input', input, '--output', `out=${output}`, '--group', 'cl-crash-g', '--from-beginning', '--state-dir', dir, '--batch-size', '100', ...fast];
    const first = startSeda(args(mkdtempSync(join(tmpdir(), 'seda-crash-a-'))));
    await waitFor(() => drained('cl-crash-g', input, 2), 120_000, 'drained', 300);
    first.kill('SIGTERM');
    expect((await first.exited(30_000)).code).to.equal(0);

    // Another machine: slow broker responses, so the restore is still going when the kill comes.
    const dir = mkdtempSync(join(tmpdir(), 'seda-crash-b-'));
    testBroker().setRtt(-1, 400);
    let restarted: SedaProcess | undefined;
    try {
      const victim = startSeda(args(dir));
      await victim.waitForLog((l) => l.msg === 'restoring partition state from the changelog', 60_000, 'a restore to begin');
      victim.kill('SIGKILL');
      await victim.exited(10_000);
      // Killed mid-restore: not every partition was restored.
      expect(restored(victim).length).to.be.below(2);
    } finally {
      testBroker().setRtt(-1, 0);
    }
    restarted = startSeda(args(dir));
    await waitFor(() => restored(restarted!).length === 2, 60_000, 'both partitions restored after the crash');
    await restarted.waitForLog((l) => l.msg === 'stage started', 30_000, 'started');
    await new Promise((r) => setTimeout(r, 1000));
    restarted.kill('SIGTERM');
    expect((await restarted.exited(30_000)).code).to.equal(0);
    const mismatches = compare(await storedWindows(dir, input, 2), groundTruth(rows));
    expect(mismatches, mismatches.slice(0, 5).join('\n')).to.deep.equal([]);
  });
});

describe('the changelog client', function () {
  this.timeout(60_000);

  /** librdkafka instances alive in this process: each runs one `rdk:main` thread. */
  function librdkafkaInstances(): number {
    return readdirSync('/proc/self/task').filter((t) => {
      try {
        return readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim() === 'rdk:main';
      } catch {
        return false; // the thread ended while we listed
      }
    }).length;
  }

  it('serves overlapping reads of different partitions (an owner restoring while a standby warms) and leaves no client behind', async () => {
    const input = uniqueTopic('cl-client-in');
    const before = librdkafkaInstances();
    const changelog = await openChangelog({ brokers: testBroker().bootstrap, topic: `${input}-changelog`, partitions: 4 });
    const rec = (p: number, i: number): { key: Buffer; value: Buffer; epoch: string } => ({ key: Buffer.from(`k${p}-${i}`), value: Buffer.from(String(i)), epoch: 'e1' });
    await changelog.append(0, Array.from({ length: 3000 }, (_, i) => rec(0, i)));
    await changelog.append(1, Array.from({ length: 2000 }, (_, i) => rec(1, i)));
    // Several first uses at once (as partitions assigned together each ask for their watermarks).
    const marks = await Promise.all([0, 1, 2, 3, 0, 1, 2, 3].map((p) => changelog.watermarks(p)));
    expect(marks.map((m) => m.high)).to.deep.equal([3000, 2000, 0, 0, 3000, 2000, 0, 0]);
    const seen: Record<number, string[]> = { 0: [], 1: [] };
    const reader = (p: number) => (records: Array<{ key: Buffer }>) => {
      seen[p].push(...records.map((r) => r.key.toString()));
      // Yield while handling a chunk, as a restore's LevelDB write does.
      return new Promise<void>((resolve) => setImmediate(resolve));
    };
    await Promise.all([changelog.read(0, 0, 3000, reader(0)), changelog.read(1, 500, 2000, reader(1))]);
    expect(seen[0]).to.deep.equal(Array.from({ length: 3000 }, (_, i) => `k0-${i}`));
    expect(seen[1]).to.deep.equal(Array.from({ length: 1500 }, (_, i) => `k1-${i + 500}`));
    expect(librdkafkaInstances() - before, 'one producer and one reader').to.equal(2);
    await changelog.close();
    await waitFor(() => librdkafkaInstances() === before, 10_000, 'every changelog client to be destroyed');
  });
});
