import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createTestTopic, testBroker } from './support/broker.js';
import { runSeda } from './support/process.js';
import { recordsInTopic } from './support/seda-io.js';

/** Runs a command to completion (bounded), feeding `input` on stdin. */
function run(cmd: string, args: string[], input = '', timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (stdout += d));
    child.stderr.on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd} (${err.message}); install it (Debian: apt-get install -y kcat)`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

const sorted = (lines: string[]): string[] => [...lines].sort();

describe('interop with kcat (a client that is not seda)', function () {
  this.timeout(60_000);
  const count = 5000; // ~130 KB: stdin reaches seda produce in several chunks, some splitting a multi-byte character
  const lines = Array.from({ length: count }, (_, i) => `key-${i % 50}:value ${i} ünïcode`);

  it('kcat reads exactly what `seda produce` wrote', async () => {
    const brokers = testBroker().bootstrap;
    const topic = await createTestTopic('interop-seda-kcat', 3);
    const produced = await runSeda(['produce', topic, '--key-delimiter', ':'], { input: `${lines.join('\n')}\n` });
    expect(produced.code, produced.stderr).to.equal(0);
    expect(produced.stdout).to.equal(`${count}\n`);

    const read = await run('kcat', ['-b', brokers, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%k:%s\n']);
    expect(read.code, read.stderr).to.equal(0);
    const out = read.stdout.split('\n');
    expect(out.pop()).to.equal('');
    expect(sorted(out)).to.deep.equal(sorted(lines));
  });

  it('`seda consume` reads exactly what kcat wrote, headers included', async () => {
    const brokers = testBroker().bootstrap;
    const topic = await createTestTopic('interop-kcat-seda', 3);
    const written = await run('kcat', ['-b', brokers, '-P', '-t', topic, '-K', ':', '-H', 'origin=kcat'], `${lines.join('\n')}\n`);
    expect(written.code, written.stderr).to.equal(0);
    expect(await recordsInTopic(brokers, topic), 'records kcat wrote').to.equal(count);

    const consumed = await runSeda(['consume', topic, '--from-beginning', '--max', String(count), '--json']);
    expect(consumed.code, consumed.stderr).to.equal(0);
    const records = consumed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { key: string; value: string; headers: { [k: string]: string } });
    expect(records).to.have.lengthOf(count);
    expect(sorted(records.map((r) => `${r.key}:${r.value}`))).to.deep.equal(sorted(lines));
    for (const r of records) expect(r.headers).to.deep.equal({ origin: 'kcat' });
  });
});
