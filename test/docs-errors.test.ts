import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect } from 'chai';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const generator = join(repo, 'scripts', 'gen-error-docs.mjs');

interface GeneratorResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The generator as `npm run docs:errors` runs it: its own process. */
function runGeneratorProcess(args: string[]): GeneratorResult {
  const r = spawnSync(process.execPath, [generator, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same generator in this process (loading the TypeScript parser once keeps the tests quick). */
let loaded: { run(root: string, o: { checking: boolean }): GeneratorResult } | undefined;
async function runGenerator(args: string[]): Promise<GeneratorResult> {
  loaded ??= (await import(pathToFileURL(generator).href)) as typeof loaded;
  const at = args.indexOf('--root');
  return loaded!.run(at >= 0 ? args[at + 1] : repo, { checking: args.includes('--check') });
}

/** Every errors.ts under a source directory, found independently of the generator. */
function errorFiles(dir: string, found: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) errorFiles(path, found);
    else if (entry === 'errors.ts') found.push(path);
  }
  return found;
}

/** A throwaway repository layout with one package listing `codes`, described by `descriptions`. */
function fakeRepo(codes: string[], descriptions: object, extraSource = ''): string {
  const root = mkdtempSync(join(tmpdir(), 'seda-errors-'));
  mkdirSync(join(root, 'packages', 'widget', 'src'), { recursive: true });
  mkdirSync(join(root, 'docs'));
  writeFileSync(join(root, 'packages', 'widget', 'package.json'), JSON.stringify({ name: '@seda/widget' }));
  writeFileSync(join(root, 'packages', 'widget', 'src', 'errors.ts'), `export const widgetErrorCodes = [${codes.map((c) => `'${c}'`).join(', ')}] as const;\n`);
  writeFileSync(join(root, 'packages', 'widget', 'src', 'widget.ts'), extraSource);
  writeFileSync(join(root, 'docs', 'errors.json'), JSON.stringify(descriptions));
  return root;
}

describe('docs/errors.md (generated from the errors.ts code lists and docs/errors.json)', function () {
  // Loading the TypeScript parser takes seconds on a loaded machine.
  this.timeout(120_000);

  it('is up to date, and describes every SEDA_* code listed in any errors.ts', () => {
    const r = runGeneratorProcess(['--check']);
    expect(r.code, `${r.stderr}\n(each line names the code and the fix)`).to.equal(0);

    // Independently of the generator: every code of every errors.ts has a row with both texts.
    const markdown = readFileSync(join(repo, 'docs', 'errors.md'), 'utf8');
    const dirs = [...['packages', 'stages', 'examples'].flatMap((g) => readdirSync(join(repo, g)).map((n) => join(repo, g, n, 'src'))), join(repo, 'bench', 'src')];
    const listed = new Set<string>();
    for (const dir of dirs) {
      let files: string[] = [];
      try {
        files = errorFiles(dir);
      } catch {
        continue; // a package without src
      }
      for (const f of files) for (const m of readFileSync(f, 'utf8').matchAll(/'(SEDA_[A-Z0-9_]+)'/g)) listed.add(m[1]);
    }
    expect(listed.size, 'codes found in errors.ts files').to.be.greaterThan(50);
    for (const code of listed) {
      const row = markdown.split('\n').find((l) => l.startsWith(`| \`${code}\` |`));
      expect(row, `docs/errors.md has no row for ${code}: describe it in docs/errors.json, then run npm run docs:errors`).to.not.equal(undefined);
      const cells = row!.split(/(?<!\\)\|/).map((c) => c.trim());
      expect(cells[2], `${code}: what it means`).to.have.length.greaterThan(10);
      expect(cells[3], `${code}: what to do`).to.have.length.greaterThan(5);
    }
  });

  it('names a code without a description, and how to fix it', async () => {
    const root = fakeRepo(['SEDA_WIDGET_BROKEN', 'SEDA_WIDGET_OK'], { SEDA_WIDGET_OK: { meaning: 'fine', action: 'none' } });
    try {
      const r = await runGenerator(['--check', '--root', root]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.contain('SEDA_WIDGET_BROKEN (listed in packages/widget/src/errors.ts) has no description');
      expect(r.stderr).to.contain('to docs/errors.json, then run npm run docs:errors');
      expect(r.stderr).to.not.contain('SEDA_WIDGET_OK');
      // Writing refuses too: no table with a hole in it.
      const w = await runGenerator(['--root', root]);
      expect(w.code).to.equal(1);
      expect(() => statSync(join(root, 'docs', 'errors.md'))).to.throw();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('says the table is stale when a description changed, until it is regenerated', async () => {
    const root = fakeRepo(['SEDA_WIDGET_OK'], { SEDA_WIDGET_OK: { meaning: 'fine', action: 'none' } });
    try {
      expect((await runGenerator(['--root', root])).code).to.equal(0);
      expect(readFileSync(join(root, 'docs', 'errors.md'), 'utf8')).to.contain('| `SEDA_WIDGET_OK` | fine | none |');
      expect((await runGenerator(['--check', '--root', root])).code).to.equal(0);
      writeFileSync(join(root, 'docs', 'errors.json'), JSON.stringify({ SEDA_WIDGET_OK: { meaning: 'fine | really', action: 'none' } }));
      const stale = await runGenerator(['--check', '--root', root]);
      expect(stale.code).to.equal(1);
      expect(stale.stderr).to.contain('docs/errors.md is out of date');
      expect((await runGenerator(['--root', root])).code).to.equal(0);
      expect(readFileSync(join(root, 'docs', 'errors.md'), 'utf8')).to.contain('| `SEDA_WIDGET_OK` | fine \\| really | none |');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('names a code that is thrown but listed in no errors.ts, and a description of a code no longer listed', async () => {
    const source = "import { SedaError } from '@seda/core';\nexport function f(): never {\n  throw new SedaError('SEDA_WIDGET_SECRET', 'not listed');\n}\n";
    const root = fakeRepo(['SEDA_WIDGET_OK'], { SEDA_WIDGET_OK: { meaning: 'fine', action: 'none' }, SEDA_WIDGET_GONE: { meaning: 'old', action: 'none' } }, source);
    try {
      const r = await runGenerator(['--check', '--root', root]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.contain('SEDA_WIDGET_SECRET is thrown at packages/widget/src/widget.ts:3 but listed in no errors.ts');
      expect(r.stderr).to.contain('docs/errors.json describes SEDA_WIDGET_GONE, which no errors.ts lists');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
