import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupLag } from '@seda/kafka';
import { createTestTopic, testBroker } from './support/broker.js';
import { killRepeatedly } from './support/kill-repeatedly.js';
import { runSeda, startSeda, waitFor, type SedaProcess } from './support/process.js';
import { produceRaw } from './support/topic-io.js';
import { compare, groundTruth, readings, storedWindows } from './support/readings.js';
import { bridgingMerges, sessionReadings, sessionTruth, storedSessions } from './support/sessions.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));
const fast = ['--kafka', 'session.timeout.ms=6000', '--kafka', 'heartbeat.interval.ms=500', '--commit-interval', '200'];

describe('state mode (real processes, LevelDB state with offsets)', function () {
  this.timeout(480_000);

  it('crash torture: SIGKILLed at random moments 10+ times, every (meter, hour) aggregate is exact', async () => {
    const input = await createTestTopic('torture-in', 4);
    const output = await createTestTopic('torture-out', 4);
    const rows = readings(200_000, 50, 6);
    await produceRaw(testBroker().bootstrap, input, rows);
    const dir = mkdtempSync(join(tmpdir(), 'seda-torture-'));
    const args = ['run', fixture('hourly'), '--brokers', testBroker().bootstrap, '--input', input, '--output', `out=${output}`, '--group', 'torture-g', '--from-beginning', '--state-dir', dir, ...fast];
    const env = { SEDA_LOG_LEVEL: 'info' };
    const drained = async (): Promise<boolean> => {
      const lag = await groupLag(testBroker().bootstrap, 'torture-g', [input]).catch(() => []);
      return lag.length === 4 && lag.every((l) => l.lag === 0 && l.committed > 0);
    };

    const kills = await killRepeatedly(args, env, 10, drained);

    const mismatches = compare(await storedWindows(dir, input, 4), groundTruth(rows));
    expect(kills).to.be.at.least(10);
    expect(mismatches, mismatches.slice(0, 5).join('\n')).to.deep.equal([]);
    console.log(`      figures: ${rows.length} readings over 4 partitions; ${kills} SIGKILLs; mismatches ${mismatches.length}`);
  });

  it('session windows crash torture: SIGKILLed at random moments, every (meter, session) aggregate is exact, bridged sessions included', async () => {
    // CI runs 4 kills; SEDA_TORTURE_KILLS=10 SEDA_TORTURE_READINGS=40000 gives the full run.
    const times = Number(process.env.SEDA_TORTURE_KILLS ?? 4);
    const rows = sessionReadings(Number(process.env.SEDA_TORTURE_READINGS ?? 20_000), 20);
    const truth = sessionTruth(rows);
    expect(await bridgingMerges(rows), 'the input has late records bridging sessions').to.be.above(0);
    const input = await createTestTopic('session-torture-in', 4);
    const output = await createTestTopic('session-torture-out', 4);
    await produceRaw(testBroker().bootstrap, input, rows);
    const dir = mkdtempSync(join(tmpdir(), 'seda-session-torture-'));
    const group = 'session-torture-g';
    const args = ['run', fixture('sessions'), '--brokers', testBroker().bootstrap, '--input', input, '--output', `out=${output}`, '--group', group, '--from-beginning', '--state-dir', dir, '--batch-size', '500', ...fast];
    const drained = async (): Promise<boolean> => {
      const lag = await groupLag(testBroker().bootstrap, group, [input]).catch(() => []);
      return lag.length === 4 && lag.every((l) => l.lag === 0 && l.committed > 0);
    };
    const started = Date.now();
    const kills = await killRepeatedly(args, { SEDA_LOG_LEVEL: 'info', SEDA_FIXTURE_PAUSE_EVERY: '100', SEDA_FIXTURE_PAUSE_MS: '25' }, times, drained);
    const mismatches = compare(await storedSessions(dir, input, 4), truth);
    expect(kills).to.be.at.least(times);
    expect(mismatches, mismatches.slice(0, 5).join('\n')).to.deep.equal([]);
    console.log(`      figures: ${rows.length} readings, ${truth.size} sessions over 4 partitions; ${kills} SIGKILLs; mismatches ${mismatches.length}; ${Math.round((Date.now() - started) / 1000)} s`);
  });

  it('a restart without a crash resumes at the stored offsets: zero records reprocessed', async () => {
    const input = await createTestTopic('resume-in', 2);
    const output = await createTestTopic('resume-out', 2);
    const rows = readings(3_000, 5, 2);
    await produceRaw(testBroker().bootstrap, input, rows);
    const dir = mkdtempSync(join(tmpdir(), 'seda-resume-'));
    const args = ['run', fixture('hourly'), '--brokers', testBroker().bootstrap, '--input', input, '--output', `out=${output}`, '--group', 'resume-g', '--from-beginning', '--state-dir', dir, ...fast];
    const first = startSeda(args);
    await waitFor(async () => (await groupLag(testBroker().bootstrap, 'resume-g', [input])).every((l) => l.lag === 0 && l.committed > 0), 60_000, 'drained', 300);
    first.kill('SIGTERM');
    expect((await first.exited(30_000)).code).to.equal(0);
    const second = startSeda(args);
    await second.waitForLog((l) => l.msg === 'starting partitions at stored offsets', 30_000, 'assignment');
    await new Promise((r) => setTimeout(r, 1500));
    second.kill('SIGTERM');
    expect((await second.exited(30_000)).code).to.equal(0);
    const stopped = second.logs().find((l) => l.msg === 'stage stopped') as { counters?: { recordsIn: number } };
    expect(stopped.counters?.recordsIn).to.equal(0);
    expect(compare(await storedWindows(dir, input, 2), groundTruth(rows))).to.deep.equal([]);
  });

  it('two instances in one group share a state directory: one SIGKILLed, the survivor takes its partitions over and every aggregate is exact', async () => {
    const input = await createTestTopic('pair-in', 4);
    const output = await createTestTopic('pair-out', 4);
    const rows = readings(40_000, 20, 4);
    await produceRaw(testBroker().bootstrap, input, rows);
    const dir = mkdtempSync(join(tmpdir(), 'seda-pair-'));
    const args = ['run', fixture('hourly'), '--brokers', testBroker().bootstrap, '--input', input, '--output', `out=${output}`, '--group', 'pair-g', '--from-beginning', '--state-dir', dir, '--batch-size', '200', ...fast];
    // Slow enough that both instances are still busy when one dies.
    const env = { SEDA_FIXTURE_PAUSE_EVERY: '200', SEDA_FIXTURE_PAUSE_MS: '5' };
    const a = startSeda(args, { env });
    const b = startSeda(args, { env });
    const assigned = (p: SedaProcess): Promise<unknown> =>
      p.waitForLog((l) => l.msg === 'partitions assigned' && (l.partitions as number[]).length === 2, 60_000, 'two partitions assigned');
    await Promise.all([assigned(a), assigned(b)]);
    await waitFor(async () => (await groupLag(testBroker().bootstrap, 'pair-g', [input])).filter((l) => l.committed > 0).length === 4, 60_000, 'all four partitions progressing', 200);
    const beforeKill = b.logs().length;
    a.kill('SIGKILL');
    await a.exited(10_000);
    // It resumes the dead instance's partitions from the offsets stored with their state, not from the beginning.
    const takeoverStarts = (): Array<{ starts: Array<{ offset: number }> }> =>
      b.logs().slice(beforeKill).filter((l) => l.msg === 'starting partitions at stored offsets' && (l.starts as unknown[]).length === 4) as Array<{ starts: Array<{ offset: number }> }>;
    await waitFor(() => takeoverStarts().length > 0, 60_000, 'the survivor to take every partition');
    const takeover = takeoverStarts()[0];
    expect(takeover.starts.every((s) => s.offset > 0), JSON.stringify(takeover.starts)).to.equal(true);
    await waitFor(async () => (await groupLag(testBroker().bootstrap, 'pair-g', [input])).every((l) => l.lag === 0), 120_000, 'the survivor to drain the input', 300);
    b.kill('SIGTERM');
    expect((await b.exited(60_000)).code).to.equal(0);
    const mismatches = compare(await storedWindows(dir, input, 4), groundTruth(rows));
    expect(mismatches, mismatches.slice(0, 5).join('\n')).to.deep.equal([]);
  });

  it('refuses a process of another stage or group on a state directory in use, with a clear error naming it', async () => {
    const input = await createTestTopic('lock-in', 1);
    const output = await createTestTopic('lock-out', 1);
    const dir = mkdtempSync(join(tmpdir(), 'seda-lock-'));
    const args = (group: string): string[] => ['run', fixture('hourly'), '--brokers', testBroker().bootstrap, '--input', input, '--output', `out=${output}`, '--group', group, '--state-dir', dir];
    const holder = startSeda(args('lock-g'));
    await holder.waitForLog((l) => l.msg === 'stage started', 30_000, 'stage started');
    const other = await runSeda(args('lock-other'), { timeoutMs: 30_000 });
    holder.kill('SIGTERM');
    expect((await holder.exited(30_000)).code).to.equal(0);
    expect(other.code).to.not.equal(0);
    expect(other.stderr).to.match(/^error: state directory .* belongs to stage "hourly" in group "lock-g"/m);
    expect(other.stderr).to.contain(dir);
  });
});
