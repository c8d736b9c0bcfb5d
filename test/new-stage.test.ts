import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestTopic, testBroker } from './support/broker.js';
import { runSeda, startSeda, waitFor } from './support/process.js';
import { produceRaw, readAll } from './support/topic-io.js';

describe('seda new: the README\'s "Writing a stage" path', function () {
  this.timeout(120_000);

  it('scaffolds a stage package that passes its own test, then runs against Kafka with seda run ./<dir>', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'seda-new-'));
    const created = await runSeda(['new', 'my-stage'], { cwd });
    expect(created.code, created.stderr).to.equal(0);
    const dir = join(cwd, 'my-stage');
    for (const f of ['package.json', 'index.js', 'test/stage.test.js', 'README.md']) expect(existsSync(join(dir, f)), f).to.equal(true);

    // Its own test, as a plugin author runs it: `npm test` in the package.
    const test = spawnSync('npm', ['test'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    expect(test.status, `${test.stdout}\n${test.stderr}`).to.equal(0);
    expect(test.stdout).to.match(/# pass 2/);

    const input = await createTestTopic('new-in', 2);
    const output = await createTestTopic('new-out', 2);
    await testBroker().createTopic(`${input}.dlq`, 1);
    await produceRaw(testBroker().bootstrap, input, [
      { key: 'a', value: JSON.stringify({ text: 'hello' }) },
      { key: 'b', value: JSON.stringify({ nope: 1 }) },
      { key: 'c', value: JSON.stringify({ text: 'seda' }) },
    ]);
    const stage = startSeda(['run', './my-stage', '--brokers', testBroker().bootstrap, '--input', input, '--output', `out=${output}`, '--from-beginning', '--kafka', 'session.timeout.ms=6000'], { cwd });
    let out: Array<{ key: string | null; value: string }> = [];
    await waitFor(async () => (out = await readAll(testBroker().bootstrap, output, { idleMs: 300 })).length >= 2, 60_000, 'the stage\'s outputs', 300, [stage]);
    stage.kill('SIGTERM');
    expect((await stage.exited(30_000)).code).to.equal(0);
    expect(out.map((r) => [r.key, JSON.parse(r.value).text]).sort()).to.deep.equal([
      ['a', 'HELLO'],
      ['c', 'SEDA'],
    ]);
    // The record without text went to the dead-letter topic (the input's, overridden with --input).
    expect(stage.logs().some((l) => l.msg === 'record sent to dead-letter topic')).to.equal(true);
  });

  it('refuses a name that is not a package name, and an existing directory', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'seda-new-'));
    const bad = await runSeda(['new', 'My Stage'], { cwd });
    expect(bad.code).to.not.equal(0);
    expect(bad.stderr).to.match(/^error: "My Stage" is not a valid package name/m);
    expect((await runSeda(['new', 'twice'], { cwd })).code).to.equal(0);
    const again = await runSeda(['new', 'twice'], { cwd });
    expect(again.code).to.not.equal(0);
    expect(again.stderr).to.match(/^error: .*twice already exists/m);
  });
});
