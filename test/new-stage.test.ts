import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestTopic, testBroker } from './support/broker.js';
import { runSeda, startSeda, waitFor } from './support/process.js';
import { produceRaw, readAll } from './support/topic-io.js';

/** This checkout: `seda new --link` points the new package's @seda/core at its packages/core. */
const checkout = fileURLToPath(new URL('../..', import.meta.url));

/** Runs npm in `cwd` (bounded) as the stage's author would; fails with its output unless it exits 0. */
function npm(args: string[], cwd: string, timeout = 180_000): string {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.toLowerCase().startsWith('npm_')) env[k] = v;
  const r = spawnSync('npm', [...args, '--no-audit', '--no-fund'], { cwd, env, encoding: 'utf8', timeout });
  expect(r.status, `npm ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`).to.equal(0);
  return r.stdout;
}

describe('seda new: the README\'s "Writing a stage" path', function () {
  this.timeout(300_000);

  it('scaffolds a TypeScript stage package whose npm install, test and build pass, then runs it against Kafka with seda run ./<dir>', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'seda-new-'));
    const created = await runSeda(['new', 'my-stage', '--link', checkout], { cwd });
    expect(created.code, created.stderr).to.equal(0);
    const dir = join(cwd, 'my-stage');
    for (const f of ['package.json', 'tsconfig.json', 'src/index.ts', 'test/stage.test.ts', 'README.md']) expect(existsSync(join(dir, f)), f).to.equal(true);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies: { [k: string]: string }; scripts: { [k: string]: string } };
    expect(pkg.dependencies['@seda/core']).to.match(/^file:.*packages\/core$/);
    expect(pkg.scripts).to.have.keys('build', 'test');

    // As a plugin author works in the package: install, test (in-memory driver), build.
    npm(['install'], dir);
    expect(npm(['test'], dir)).to.match(/# pass 2/);
    npm(['run', 'build'], dir);
    expect(existsSync(join(dir, 'dist', 'src', 'index.js'))).to.equal(true);

    const input = await createTestTopic('new-in', 2);
    const output = await createTestTopic('new-out', 2);
    await testBroker().createTopic(`${input}.dlq`, 1);
    await produceRaw(testBroker().bootstrap, input, [
      { key: 'a', value: JSON.stringify({ text: 'hello' }) },
      { key: 'b', value: JSON.stringify({ nope: 1 }) },
      { key: 'c', value: JSON.stringify({ text: 'seda' }) },
    ]);
    const stage = startSeda(['run', '.', '--brokers', testBroker().bootstrap, '--input', input, '--output', `out=${output}`, '--from-beginning', '--kafka', 'session.timeout.ms=6000'], { cwd: dir });
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

  it('scaffolds plain JavaScript with --js, which passes its own test without a build', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'seda-new-'));
    const created = await runSeda(['new', '@acme/seda-stage-js', '--js', '--link', join(checkout, 'packages', 'core')], { cwd });
    expect(created.code, created.stderr).to.equal(0);
    const dir = join(cwd, 'seda-stage-js');
    for (const f of ['package.json', 'index.js', 'test/stage.test.js']) expect(existsSync(join(dir, f)), f).to.equal(true);
    expect(existsSync(join(dir, 'tsconfig.json'))).to.equal(false);
    expect(readFileSync(join(dir, 'index.js'), 'utf8')).to.include("name: 'js'");
    npm(['install'], dir);
    expect(npm(['test'], dir)).to.match(/# pass 2/);
  });

  it('depends on the published @seda/core of its own version without --link, and refuses a --link that is not @seda/core', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'seda-new-'));
    expect((await runSeda(['new', 'published'], { cwd })).code).to.equal(0);
    const version = (JSON.parse(readFileSync(join(checkout, 'packages', 'cli', 'package.json'), 'utf8')) as { version: string }).version;
    const pkg = JSON.parse(readFileSync(join(cwd, 'published', 'package.json'), 'utf8')) as { dependencies: { [k: string]: string } };
    expect(pkg.dependencies['@seda/core']).to.equal(`^${version}`);
    const bad = await runSeda(['new', 'linked', '--link', cwd], { cwd });
    expect(bad.code).to.not.equal(0);
    expect(bad.stderr).to.match(/^error: --link .* is the @seda\/core package/m);
    expect(existsSync(join(cwd, 'linked'))).to.equal(false);
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
