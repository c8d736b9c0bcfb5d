import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Kafka from 'node-rdkafka';
import { Kafka as KafkaJS, logLevel } from 'kafkajs';
import { connectClient, disconnectClient, groupLag } from '@seda/kafka';
import { createTestTopic, testBroker } from './support/broker.js';
import { runSeda, startSeda, waitFor } from './support/process.js';
import { produceRaw } from './support/topic-io.js';
import { compare, groundTruth, readings, storedWindows } from './support/readings.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));
const fast = ['--kafka', 'session.timeout.ms=6000', '--kafka', 'heartbeat.interval.ms=500', '--commit-interval', '200'];

/** Every record of a topic with raw bytes (node-rdkafka hands header values over as Buffers). */
async function readRaw(topic: string, expected: number, timeoutMs = 30_000): Promise<Kafka.Message[]> {
  const consumer = new Kafka.KafkaConsumer({ 'bootstrap.servers': testBroker().bootstrap, 'group.id': `raw-${Date.now()}`, 'enable.auto.commit': false }, { 'auto.offset.reset': 'earliest' });
  await connectClient(consumer, 10_000);
  const out: Kafka.Message[] = [];
  try {
    consumer.assign([{ topic, partition: 0, offset: 0 }]);
    const deadline = Date.now() + timeoutMs;
    while (out.length < expected && Date.now() < deadline) {
      out.push(...(await new Promise<Kafka.Message[]>((resolve, reject) => consumer.consume(100, (err, m) => (err ? reject(err) : resolve(m))))));
    }
  } finally {
    await disconnectClient(consumer, { timeoutMs: 10_000 });
  }
  return out;
}

const header = (m: Kafka.Message, name: string): Buffer | undefined => {
  for (const h of m.headers ?? []) if (name in h) return h[name] as Buffer;
  return undefined;
};

function mountTmpfs(dir: string, opts: string): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]);
}

/** tmpfs mounts need root (CAP_SYS_ADMIN); without, those cases are skipped and say so. */
function canMount(): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'seda-mount-probe-'));
  try {
    mountTmpfs(dir, 'size=1m');
    execFileSync('umount', [dir]);
    return true;
  } catch {
    return false;
  }
}

describe('hostile input and environment (real processes)', function () {
  this.timeout(180_000);

  it('invalid UTF-8 values and keys, an oversized output and a binary header become dead letters with their own codes; tombstones pass; the partition moves on', async () => {
    const input = await createTestTopic('hostile-in', 1);
    const output = await createTestTopic('hostile-out', 1);
    const dlq = await createTestTopic('hostile-dlq', 1);
    const binary = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41]);
    // KafkaJS sends header bytes as given (node-rdkafka would send them as UTF-8 text).
    const kafkajs = new KafkaJS({ brokers: testBroker().bootstrap.split(','), logLevel: logLevel.NOTHING });
    const producer = kafkajs.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({
      topic: input,
      messages: [
        { key: 'k1', value: 'first', partition: 0 },
        { key: 'k2', value: Buffer.from([0x61, 0xff, 0x62]), partition: 0, headers: { blob: binary, note: 'text' } },
        { key: Buffer.from([0xc3, 0x28]), value: 'bad key', partition: 0 },
        { key: 'k4', value: null, partition: 0 },
        { key: 'k5', value: 'big:5000', partition: 0 },
        { key: 'k6', value: 'last', partition: 0 },
      ],
    });
    await producer.disconnect();
    const args = ['run', fixture('hostile'), '--brokers', testBroker().bootstrap, '--input', input, '--output', `out=${output}`, '--dlq-topic', dlq, '--group', `${input}-g`, '--from-beginning', '--kafka', 'message.max.bytes=2000', ...fast];
    const p = startSeda(args);
    await waitFor(async () => (await groupLag(testBroker().bootstrap, `${input}-g`, [input]).catch(() => [])).some((l) => l.lag === 0 && l.committed === 6), 60_000, 'all 6 records committed', 200, [p]);
    p.kill('SIGTERM');
    expect((await p.exited(30_000)).code).to.equal(0);

    const outs = await readRaw(output, 3);
    expect(outs.map((m) => [m.key?.toString(), m.value?.toString() ?? null])).to.deep.equal([
      ['k1', 'first'],
      ['k4', null],
      ['k6', 'last'],
    ]);
    const dead = await readRaw(dlq, 3);
    expect(dead.map((m) => [header(m, 'seda.dlq.offset')?.toString(), header(m, 'seda.dlq.code')?.toString()])).to.deep.equal([
      ['1', 'SEDA_CODEC_DECODE'],
      ['2', 'SEDA_CODEC_DECODE'],
      ['4', 'SEDA_KAFKA_MESSAGE_TOO_LARGE'],
    ]);
    // The invalid bytes arrive as they were, not as U+FFFD; the binary header as base64 with its marker.
    expect(dead[0].value).to.deep.equal(Buffer.from([0x61, 0xff, 0x62]));
    expect(dead[1].key).to.deep.equal(Buffer.from([0xc3, 0x28]));
    expect(Buffer.from(header(dead[0], 'blob')!.toString(), 'base64')).to.deep.equal(binary);
    expect(header(dead[0], 'seda.dlq.base64')?.toString()).to.equal('blob');
    expect(header(dead[0], 'note')?.toString()).to.equal('text');
    const list = await runSeda(['dlq', 'list', dlq, '--brokers', testBroker().bootstrap, '--json'], { timeoutMs: 30_000 });
    expect(list.code, list.stderr).to.equal(0);
    expect(list.stdout).to.contain('"base64Headers":["blob"]');
  });

  it('a state directory it cannot write, or a corrupt LevelDB, stops it at start with one clear error and the recovery command; the recovery rebuilds exact state', async function () {
    const input = await createTestTopic('corrupt-in', 1);
    const output = await createTestTopic('corrupt-out', 1);
    const rows = readings(2_000, 5, 2);
    await produceRaw(testBroker().bootstrap, input, rows);
    const args = (dir: string): string[] => ['run', fixture('hourly'), '--brokers', testBroker().bootstrap, '--input', input, '--output', `out=${output}`, '--group', `${input}-g`, '--from-beginning', '--state-dir', dir, ...fast];

    if (canMount()) {
      const ro = mkdtempSync(join(tmpdir(), 'seda-ro-'));
      mountTmpfs(ro, 'ro,size=1m');
      try {
        const r = await runSeda(args(ro), { timeoutMs: 30_000 });
        expect(r.code).to.not.equal(0);
        expect(r.stderr).to.match(/^error: state directory .* is not writable \(EROFS\)/m);
      } finally {
        execFileSync('umount', [ro]);
      }
    } else console.log('      (not root: the read-only state dir case needs a tmpfs mount and was skipped)');

    const dir = mkdtempSync(join(tmpdir(), 'seda-corrupt-'));
    const first = startSeda(args(dir));
    await waitFor(async () => (await groupLag(testBroker().bootstrap, `${input}-g`, [input]).catch(() => [])).some((l) => l.lag === 0 && l.committed === rows.length), 60_000, 'drained', 200, [first]);
    first.kill('SIGTERM');
    expect((await first.exited(30_000)).code).to.equal(0);
    // Garble the partition's manifest and tables (as a bad disk would): LevelDB reports corruption.
    const pdir = join(dir, encodeURIComponent(input), '0');
    for (const f of readdirSync(pdir)) if (f.endsWith('.ldb') || f.startsWith('MANIFEST')) writeFileSync(join(pdir, f), Buffer.alloc(64, 0xab));
    const broken = await runSeda(args(dir), { timeoutMs: 60_000 });
    expect(broken.code).to.not.equal(0);
    const line = broken.stderr.split('\n').find((l) => l.startsWith('error: ')) ?? '';
    expect(line, broken.stderr.slice(-2000)).to.match(/state directory .*\/0 is (corrupt|unreadable)/);
    const recovery = /`(seda state [^`]+)`/.exec(line);
    expect(recovery, line).to.not.equal(null);
    // Run the command the error gives, then start again: the state is rebuilt from the input.
    const cmd = recovery![1].split(' ').slice(1);
    const reset = await runSeda(cmd, { timeoutMs: 30_000 });
    expect(reset.code, reset.stderr).to.equal(0);
    const again = startSeda(args(dir));
    await again.waitForLog((l) => l.msg === 'stage started', 60_000, 'restart after reset');
    await waitFor(async () => (await groupLag(testBroker().bootstrap, `${input}-g`, [input]).catch(() => [])).some((l) => l.lag === 0 && l.committed === rows.length) && again.logs().some((l) => l.msg === 'starting partitions at stored offsets'), 60_000, 'drained again', 200, [again]);
    await new Promise((r) => setTimeout(r, 1500));
    again.kill('SIGTERM');
    expect((await again.exited(30_000)).code).to.equal(0);
    expect(compare(await storedWindows(dir, input, 1), groundTruth(rows))).to.deep.equal([]);
  });

  it('a full disk while writing state: SEDA_STATE_WRITE, stops without committing the batch, and a restart with space loses nothing', async function () {
    if (!canMount()) {
      console.log('      (not root: a full disk is simulated with a tiny tmpfs mount; skipped)');
      this.skip();
    }
    const input = await createTestTopic('full-in', 2);
    const output = await createTestTopic('full-out', 2);
    const rows = readings(60_000, 400, 24);
    await produceRaw(testBroker().bootstrap, input, rows);
    const small = mkdtempSync(join(tmpdir(), 'seda-full-'));
    mountTmpfs(small, 'size=600k');
    const dir = join(small, 'state');
    mkdirSync(dir);
    const args = (d: string): string[] => ['run', fixture('hourly'), '--brokers', testBroker().bootstrap, '--input', input, '--output', `out=${output}`, '--group', `${input}-g`, '--from-beginning', '--state-dir', d, ...fast];
    const moved = mkdtempSync(join(tmpdir(), 'seda-moved-'));
    try {
      const r = await runSeda(args(dir), { timeoutMs: 90_000 });
      expect(r.code, r.stderr.slice(-2000)).to.not.equal(0);
      expect(r.stderr).to.match(/"code":"SEDA_STATE_WRITE"/);
      expect(r.stderr).to.match(/^error: cannot write state to /m);
      cpSync(dir, join(moved, 'state'), { recursive: true });
    } finally {
      execFileSync('umount', [small]);
    }
    const again = startSeda(args(join(moved, 'state')));
    await waitFor(async () => (await groupLag(testBroker().bootstrap, `${input}-g`, [input]).catch(() => [])).filter((l) => l.lag === 0).length === 2, 90_000, 'drained after the restart', 300, [again]);
    await again.waitForLog((l) => l.msg === 'stage started', 30_000, 'started');
    again.kill('SIGTERM');
    expect((await again.exited(60_000)).code).to.equal(0);
    const mismatches = compare(await storedWindows(join(moved, 'state'), input, 2), groundTruth(rows));
    expect(mismatches, mismatches.slice(0, 5).join('\n')).to.deep.equal([]);
  });
});
