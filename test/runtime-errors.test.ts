import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestTopic, testBroker } from './support/broker.js';
import { runSeda, startSeda, waitFor } from './support/process.js';
import { produceRaw, readAll } from './support/topic-io.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));

describe('poison records', function () {
  this.timeout(120_000);

  it('bad JSON and records whose process throws go to the DLQ with their provenance; all others are output; the stage keeps running', async () => {
    const input = await createTestTopic('poison-in', 2);
    const output = await createTestTopic('poison-out', 2);
    await testBroker().createTopic(`${input}.dlq`, 1);
    const good = Array.from({ length: 300 }, (_, i) => ({ key: `m${i % 5}`, value: JSON.stringify({ i }) }));
    const thrown = Array.from({ length: 7 }, (_, i) => ({ key: `bad-${i}`, value: JSON.stringify({ i: 1000 + i }) }));
    const garbled = [
      { key: 'm1', value: '{"i": 2000' },
      { key: 'm2', value: 'not json at all' },
    ];
    await produceRaw(testBroker().bootstrap, input, [...good.slice(0, 150), ...thrown, ...garbled, ...good.slice(150)]);

    const p = startSeda([
      'run', fixture('picky'), '--brokers', testBroker().bootstrap, '--input', input, '--output', `out=${output}`,
      '--group', 'poison-g', '--from-beginning', '--commit-interval', '200',
    ]);
    let out: Awaited<ReturnType<typeof readAll>> = [];
    let dlq: Awaited<ReturnType<typeof readAll>> = [];
    await waitFor(
      async () => {
        out = await readAll(testBroker().bootstrap, output, { idleMs: 300 });
        dlq = await readAll(testBroker().bootstrap, `${input}.dlq`, { idleMs: 300 });
        return new Set(out.map((r) => r.value)).size >= good.length && dlq.length >= thrown.length + garbled.length;
      },
      60_000,
      'all good records output and all poison records dead-lettered',
      500,
    );
    expect(p.child.exitCode).to.equal(null); // still running
    p.kill('SIGTERM');
    expect((await p.exited(30_000)).code).to.equal(0);

    expect(new Set(out.map((r) => JSON.parse(r.value).i))).to.have.lengthOf(good.length);
    const byValue = new Map(dlq.map((r) => [r.value, r]));
    for (const r of [...thrown, ...garbled]) {
      const d = byValue.get(r.value);
      expect(d, `dead letter for ${r.value}`).to.not.equal(undefined);
      expect(d!.key).to.equal(r.key);
      expect(d!.headers['seda.dlq.stage']).to.equal('picky');
      expect(d!.headers['seda.dlq.topic']).to.equal(input);
      expect(Number(d!.headers['seda.dlq.offset'])).to.be.at.least(0);
      expect(Number(d!.headers['seda.dlq.partition'])).to.be.oneOf([0, 1]);
      expect(Number(d!.headers['seda.dlq.timestamp'])).to.be.greaterThan(0);
    }
    for (const r of thrown) expect(byValue.get(r.value)!.headers['seda.dlq.error']).to.match(/refusing bad-/);
    for (const r of garbled) expect(byValue.get(r.value)!.headers['seda.dlq.code']).to.equal('SEDA_CODEC_DECODE');
  });
});

describe('seda run: bad input gives one clear error', function () {
  this.timeout(60_000);

  const oneErrorLine = (stderr: string): string => {
    const lines = stderr.trim().split('\n').filter((l) => l.startsWith('error: '));
    expect(lines, stderr).to.have.lengthOf(1);
    expect(stderr, 'no stack trace without --verbose').to.not.match(/\n\s+at /);
    return lines[0];
  };

  it('a stage path that does not exist', async () => {
    const r = await runSeda(['run', './no/such/stage.js', '--brokers', testBroker().bootstrap]);
    expect(r.code).to.not.equal(0);
    expect(oneErrorLine(r.stderr)).to.match(/does not exist/);
  });

  it('a module that is not a stage', async () => {
    const r = await runSeda(['run', fixture('not-a-stage'), '--brokers', testBroker().bootstrap]);
    expect(r.code).to.not.equal(0);
    expect(oneErrorLine(r.stderr)).to.match(/is not a stage/);
  });

  it('a missing input topic', async () => {
    const r = await runSeda(['run', fixture('relay'), '--brokers', testBroker().bootstrap, '--input', 'no-such-topic-xyz']);
    expect(r.code).to.not.equal(0);
    expect(oneErrorLine(r.stderr)).to.match(/"no-such-topic-xyz".* not exist on .*seda topics create no-such-topic-xyz --partitions N/);
  });

  it('an unreachable broker', async () => {
    const r = await runSeda(['run', fixture('relay'), '--brokers', '127.0.0.1:1', '--connect-attempts', '2', '--connect-backoff', '100', '--connect-timeout', '3000'], { timeoutMs: 45_000 });
    expect(r.code).to.not.equal(0);
    expect(oneErrorLine(r.stderr)).to.match(/127\.0\.0\.1:1/);
  });

  it('no broker configured anywhere', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'seda-nobroker-'));
    const r = await runSeda(['run', fixture('relay')], { cwd, env: { SEDA_BROKERS: '' } });
    expect(r.code).to.not.equal(0);
    expect(oneErrorLine(r.stderr)).to.match(/no Kafka broker: pass --brokers host:port, set SEDA_BROKERS, or start one with `seda broker`/);
  });

  it('an output name the stage does not have', async () => {
    const r = await runSeda(['run', fixture('relay'), '--brokers', testBroker().bootstrap, '--output', 'nope=x']);
    expect(r.code).to.not.equal(0);
    expect(oneErrorLine(r.stderr)).to.match(/no output "nope"/);
  });
});
