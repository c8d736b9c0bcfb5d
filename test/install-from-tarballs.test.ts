import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, start, userEnv, type Started } from './support/shell.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
/** Every publishable package: each folder of packages/, stages/ and examples/ (bench is private). */
const workspaces = ['packages', 'stages', 'examples'].flatMap((dir) => readdirSync(join(repo, dir)).sort().map((name) => `${dir}/${name}`));

/** Fails with the command's output unless it exited 0. */
function ok(result: { code: number | null; output: string }, what: string): string {
  expect(result.code, `${what}:\n${result.output.slice(-6000)}`).to.equal(0);
  return result.output;
}

describe('seda installed from its tarballs in an empty project, outside the repository', function () {
  // npm install compiles librdkafka for node-rdkafka (2-3 minutes on an idle machine).
  this.timeout(20 * 60_000);
  let work: string;
  let tarballs: string;
  let app: string;
  let env: NodeJS.ProcessEnv;
  let broker: Started | undefined;
  let stage: Started | undefined;
  let bootstrap: string;

  before(async function () {
    this.timeout(20 * 60_000);
    work = realpathSync(mkdtempSync(join(tmpdir(), 'seda-install-')));
    expect(relative(repo, work).startsWith('..'), `${work} is outside ${repo}`).to.equal(true);
    tarballs = join(work, 'tarballs');
    app = join(work, 'app');
    mkdirSync(tarballs);
    mkdirSync(app);
    env = userEnv();
    const packed = ok(
      await run('npm', ['pack', '--pack-destination', tarballs, ...workspaces.flatMap((w) => ['-w', w])], { cwd: repo, env: userEnv(), timeoutMs: 5 * 60_000 }),
      'npm pack',
    );
    expect(readdirSync(tarballs).filter((f) => f.endsWith('.tgz')), packed).to.have.length(workspaces.length);
    writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'my-pipeline', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
    const files = readdirSync(tarballs).map((f) => join(tarballs, f));
    ok(await run('npm', ['install', '--no-audit', '--no-fund', ...files], { cwd: app, env, timeoutMs: 18 * 60_000 }), 'npm install of the tarballs');
  });

  after(async function () {
    this.timeout(60_000);
    await stage?.stop();
    await broker?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('installs each package from its tarball, with types, the seda bin and the built broker binding, nothing linked into the repository', () => {
    for (const w of workspaces) {
      const name = (JSON.parse(readFileSync(join(repo, w, 'package.json'), 'utf8')) as { name: string }).name;
      const dir = join(app, 'node_modules', name);
      expect(realpathSync(dir), `${name} is a copy in the project`).to.equal(dir);
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { types: string; main: string };
      expect(existsSync(join(dir, pkg.main)), `${name} ${pkg.main}`).to.equal(true);
      expect(existsSync(join(dir, pkg.types)), `${name} ${pkg.types}`).to.equal(true);
      expect(existsSync(join(dir, 'dist', 'test')), `${name} ships no tests`).to.equal(false);
    }
    expect(existsSync(join(app, 'node_modules', '.bin', 'seda'))).to.equal(true);
    const kafka = join(app, 'node_modules', '@seda', 'kafka');
    expect(existsSync(join(kafka, 'native', 'mock_cluster.c'))).to.equal(true);
    expect(existsSync(join(kafka, 'native', 'build', 'Release', 'seda_mock.node')), 'the postinstall built the binding').to.equal(true);
  });

  it('runs `npx seda demo` from @seda/example-electric-readings: the installed stages as processes, every check passing', async () => {
    // @seda/cli does not depend on the stages: `seda run audit` in each child finds them as the example's dependencies.
    const out = ok(await run('npx', ['seda', 'demo', '--duration', '4s', '--plain', '--dir', join(work, 'demo')], { cwd: app, env, timeoutMs: 5 * 60_000 }), 'npx seda demo');
    expect(out).to.match(/^PASS: (\d+) of \1 checks passed/m);
  });

  it('runs `npx seda broker`, and creates a topic from another directory given only SEDA_BROKERS', async () => {
    broker = start('npx', ['seda', 'broker'], { cwd: app, env });
    bootstrap = (await broker.waitFor(/^bootstrap: (\S+)$/m, 60_000, 'the broker\'s bootstrap address'))[1];
    const elsewhere = join(work, 'elsewhere');
    mkdirSync(elsewhere);
    const withBrokers = { ...env, SEDA_BROKERS: bootstrap };
    // That directory has no project: npx runs the project's seda there with --prefix.
    const created = ok(await run('npx', ['--prefix', app, 'seda', 'topics', 'create', 't', '--partitions', '3'], { cwd: elsewhere, env: withBrokers, timeoutMs: 60_000 }), 'topics create t');
    expect(created).to.match(/created t \(3 partitions\)/);
    const list = ok(await run('npx', ['--prefix', app, 'seda', 'topics', 'list'], { cwd: elsewhere, env: withBrokers, timeoutMs: 60_000 }), 'topics list');
    expect(list).to.match(/^t\t3$/m);
  });

  it('scaffolds a TypeScript stage with `npx seda new my-stage` whose `npm install && npm test && npm run build` pass', async () => {
    const core = join(tarballs, readdirSync(tarballs).find((f) => /^seda-core-.*\.tgz$/.test(f))!);
    // @seda/core is not on the registry: the new package depends on its tarball.
    ok(await run('npx', ['seda', 'new', 'my-stage', '--input', 'words', '--output', 'shouts', '--link', core], { cwd: app, env, timeoutMs: 60_000 }), 'seda new');
    const dir = join(app, 'my-stage');
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies: { [k: string]: string }; devDependencies: { [k: string]: string } };
    expect(pkg.dependencies['@seda/core']).to.match(/^file:.*seda-core-.*\.tgz$/);
    expect(pkg.devDependencies).to.have.property('typescript');
    for (const f of ['src/index.ts', 'test/stage.test.ts', 'tsconfig.json']) expect(existsSync(join(dir, f)), f).to.equal(true);
    ok(await run('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, env, timeoutMs: 5 * 60_000 }), 'npm install in my-stage');
    const tested = ok(await run('npm', ['test'], { cwd: dir, env, timeoutMs: 3 * 60_000 }), 'npm test in my-stage');
    expect(tested).to.match(/# pass 2/);
    expect(tested).to.match(/# fail 0/);
    ok(await run('npm', ['run', 'build'], { cwd: dir, env, timeoutMs: 3 * 60_000 }), 'npm run build in my-stage');
    expect(existsSync(join(dir, 'dist', 'src', 'index.js'))).to.equal(true);
  });

  it('runs it with `npx seda run ./my-stage` on records from `seda produce`, read back with `seda consume`', async () => {
    // In the broker's directory: its .seda/broker.json gives every command the brokers.
    for (const [topic, partitions] of [['words', 3], ['shouts', 3], ['words.dlq', 1]] as const) {
      ok(await run('npx', ['seda', 'topics', 'create', topic, '--partitions', String(partitions)], { cwd: app, env, timeoutMs: 60_000 }), `topics create ${topic}`);
    }
    const produced = ok(
      await run('npx', ['seda', 'produce', 'words', '--key-delimiter', ':'], {
        cwd: app,
        env,
        input: 'a:{"text":"hello"}\nb:{"nope":1}\nc:{"text":"seda"}\n',
        timeoutMs: 60_000,
      }),
      'seda produce',
    );
    expect(produced).to.match(/\b3\b/);
    stage = start('npx', ['seda', 'run', './my-stage', '--from-beginning', '--kafka', 'session.timeout.ms=6000', '--kafka', 'heartbeat.interval.ms=500'], { cwd: app, env });
    const consumed = ok(
      await run('npx', ['seda', 'consume', 'shouts', '--from-beginning', '--max', '2', '--timeout', '90000'], { cwd: app, env, timeoutMs: 120_000 }),
      'seda consume shouts',
    );
    const lines = consumed
      .split('\n')
      .filter((l) => l.includes('\t'))
      .map((l) => [l.split('\t')[0], (JSON.parse(l.split('\t')[1]!) as { text: string }).text]);
    expect(lines.sort()).to.deep.equal([
      ['a', 'HELLO'],
      ['c', 'SEDA'],
    ]);
    const dead = ok(await run('npx', ['seda', 'consume', 'words.dlq', '--from-beginning', '--max', '1', '--timeout', '60000'], { cwd: app, env, timeoutMs: 90_000 }), 'seda consume words.dlq');
    expect(dead).to.match(/^b\t.*"nope":1/m);
    // SIGTERM to npx and seda (one process group): seda drains, commits and stops cleanly.
    stage.signal('SIGTERM');
    await stage.groupGone(30_000);
    expect(stage.output(), stage.output().slice(-4000)).to.match(/"msg":"stage stopped"/);
    expect(stage.output()).to.not.match(/"level":50/);
  });
});
