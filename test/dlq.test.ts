import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTestTopic, testBroker } from './support/broker.js';
import { runSeda, startSeda } from './support/process.js';
import { produceRaw, readAll } from './support/topic-io.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));

describe('seda dlq list / replay', function () {
  this.timeout(120_000);

  it('a record breaking the input\'s JSON Schema (@seda/codecs) lands in the dead-letter topic with SEDA_CODEC_SCHEMA and the validation message', async () => {
    const brokers = testBroker().bootstrap;
    const input = await createTestTopic('schema-in', 1);
    const output = await createTestTopic('schema-out', 1);
    const dlq = `${input}.dlq`;
    await testBroker().createTopic(dlq, 1);
    await produceRaw(brokers, input, [
      { key: 'm1', value: '{"meter":"m1","kwh":1}' },
      { key: 'm2', value: '{"meter":"m2","kwh":-3,"note":"x"}' },
      { key: 'm3', value: '{"meter":"m3","kwh":2}' },
    ]);
    const p = startSeda(['run', fixture('validated'), '--input', input, '--output', `out=${output}`, '--group', `schema-g-${process.pid}`, '--from-beginning', '--no-announce']);
    try {
      await readAll(brokers, dlq, { expected: 1, timeoutMs: 60_000 });
      expect((await readAll(brokers, output, { expected: 2, timeoutMs: 60_000 })).map((r) => r.value)).to.deep.equal(['{"meter":"m1","kwh":1}', '{"meter":"m3","kwh":2}']);
    } finally {
      p.kill('SIGTERM');
      await p.exited(30_000);
    }
    const list = await runSeda(['dlq', 'list', dlq, '--json']);
    expect(list.code, list.stderr).to.equal(0);
    const [dead] = (JSON.parse(list.stdout) as { deadLetters: Array<{ key: string; value: string; code: string; error: string }> }).deadLetters;
    expect([dead.key, dead.value, dead.code]).to.deep.equal(['m2', '{"meter":"m2","kwh":-3,"note":"x"}', 'SEDA_CODEC_SCHEMA']);
    expect(dead.error).to.contain('/kwh must be >= 0').and.to.contain('must NOT have additional properties');
  });

  it('lists dead letters decoded with their code; replays one to its source once (not again without --force); bad input replays nothing', async () => {
    const brokers = testBroker().bootstrap;
    const input = await createTestTopic('dlq-in', 1);
    const output = await createTestTopic('dlq-out', 1);
    const dlq = `${input}.dlq`;
    await testBroker().createTopic(dlq, 1);
    const foreign = await createTestTopic('dlq-foreign', 1);
    await produceRaw(brokers, foreign, [{ key: 'x', value: 'not a dead letter' }]);
    await produceRaw(brokers, input, [
      { key: 'good-1', value: '{"n":1}' },
      { key: 'bad-1', value: '{"n":2}' },
      { key: 'bad-2', value: '{"n":3}' },
    ]);
    const p = startSeda(['run', fixture('picky'), '--input', input, '--output', `out=${output}`, '--group', `dlq-g-${process.pid}`, '--from-beginning', '--no-announce']);
    try {
      await readAll(brokers, dlq, { expected: 2, timeoutMs: 60_000 });
    } finally {
      p.kill('SIGTERM');
      await p.exited(30_000);
    }
    const list = await runSeda(['dlq', 'list', dlq, '--json']);
    expect(list.code, list.stderr).to.equal(0);
    const parsed = JSON.parse(list.stdout) as { deadLetters: Array<{ key: string; value: string; code: string; error: string; stage: string; source: { topic: string; offset: number } }> };
    expect(parsed.deadLetters.map((d) => [d.key, d.value, d.code, d.stage, d.source.topic, d.source.offset])).to.deep.equal([
      ['bad-1', '{"n":2}', 'SEDA_STAGE_PROCESS', 'picky', input, 1],
      ['bad-2', '{"n":3}', 'SEDA_STAGE_PROCESS', 'picky', input, 2],
    ]);
    expect(parsed.deadLetters[0].error).to.equal('refusing bad-1');
    const none = JSON.parse((await runSeda(['dlq', 'list', dlq, '--json', '--code', 'SEDA_OTHER'])).stdout) as { deadLetters: unknown[] };
    expect(none.deadLetters).to.have.length(0);

    // Bad input: one clear error each, nothing sent.
    const unknown = await runSeda(['dlq', 'replay', `no-such-${process.pid}`, '--all']);
    expect(unknown.code).to.not.equal(0);
    expect(unknown.stderr).to.match(/SEDA_RUNTIME_DLQ_TOPIC|does not exist/);
    const range = await runSeda(['dlq', 'replay', dlq, '--offsets', '0:0,0:7']);
    expect(range.stderr).to.match(/out of range/);
    const notSeda = await runSeda(['dlq', 'replay', foreign, '--all']);
    expect(notSeda.stderr).to.match(/not a seda dead letter/);
    expect((await readAll(brokers, input, { idleMs: 1000 })).length).to.equal(3);

    const first = await runSeda(['dlq', 'replay', dlq, '--offsets', '0:0', '--json']);
    expect(first.code, first.stderr).to.equal(0);
    expect((JSON.parse(first.stdout) as { replayed: unknown[] }).replayed).to.have.length(1);
    const second = await runSeda(['dlq', 'replay', dlq, '--all', '--json']);
    const r2 = JSON.parse(second.stdout) as { replayed: Array<{ offset: number }>; skipped: Array<{ offset: number }> };
    expect(r2.skipped.map((s) => s.offset)).to.deep.equal([0]);
    expect(r2.replayed.map((s) => s.offset)).to.deep.equal([1]);

    // Read back by kcat (not seda): the source topic holds each dead letter once more, with the header naming it.
    const out = execFileSync('kcat', ['-C', '-b', brokers, '-t', input, '-e', '-q', '-f', '%k|%s|%h\n'], { encoding: 'utf8', timeout: 30_000 });
    const lines = out.trim().split('\n');
    expect(lines).to.have.length(5);
    expect(lines.filter((l) => l.startsWith('bad-1|'))).to.have.length(2);
    expect(lines.find((l) => l.includes(`seda.replay.from=${dlq}/0/0`))).to.match(/^bad-1\|\{"n":2\}/);
    expect(lines.find((l) => l.includes(`seda.replay.from=${dlq}/0/1`))).to.match(/^bad-2\|/);
    const forced = JSON.parse((await runSeda(['dlq', 'replay', dlq, '--offsets', '0:0', '--force', '--json'])).stdout) as { replayed: unknown[] };
    expect(forced.replayed).to.have.length(1);
  });
});
