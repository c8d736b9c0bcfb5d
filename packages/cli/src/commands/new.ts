import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { SedaError } from '@seda/core';
import { cliVersion } from '../version.js';
import { stageTemplate } from './new-templates.js';

const NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

function readName(file: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
}

/**
 * The @seda/core that `--link <path>` means: a packed tarball (.tgz), the
 * @seda/core package directory, or a seda checkout (its packages/core). Its
 * dependency spec is `file:` relative to the new package.
 */
export function linkedCore(path: string, pkgDir: string): string {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new SedaError('SEDA_RUNTIME_OPTIONS', `--link ${path}: ${abs} does not exist; give a seda checkout, the @seda/core package directory or its .tgz`);
  const spec = (target: string): string => `file:${relative(pkgDir, target) || '.'}`;
  if (statSync(abs).isFile()) {
    if (!abs.endsWith('.tgz')) throw new SedaError('SEDA_RUNTIME_OPTIONS', `--link ${path} is a file but not a .tgz: give a seda checkout, the @seda/core package directory or its tarball (npm pack)`);
    return spec(abs);
  }
  const dir = [abs, join(abs, 'packages', 'core')].find((d) => readName(join(d, 'package.json')) === '@seda/core');
  if (!dir) throw new SedaError('SEDA_RUNTIME_OPTIONS', `--link ${path}: neither ${abs} nor ${join(abs, 'packages', 'core')} is the @seda/core package`);
  if (!existsSync(join(dir, 'dist', 'src', 'index.js'))) {
    throw new SedaError('SEDA_RUNTIME_OPTIONS', `--link ${path}: ${dir} is not built (no dist/src/index.js); run "npm run build" in the checkout first`);
  }
  return spec(dir);
}

/** `seda new <name>`: scaffolds a stage plugin package that passes its own test. */
export function registerNewCommand(program: Command): void {
  program
    .command('new')
    .description('create a stage plugin package in ./<name>: TypeScript (src/index.ts, an in-memory test, tsconfig.json) unless --js')
    .argument('<name>', 'package name, e.g. my-stage or @acme/seda-stage-x')
    .option('--dir <dir>', 'directory to create (default: ./<name without scope>)')
    .option('--input <topic>', 'input topic', 'input')
    .option('--output <topic>', 'output topic', 'output')
    .option('--js', 'plain JavaScript (index.js, no build step) instead of TypeScript')
    .option('--link <path>', 'depend on a local @seda/core (a seda checkout, the package directory or its .tgz) instead of the published one')
    .option('--verbose', 'print stack traces of errors')
    .action((name: string, flags: { dir?: string; input: string; output: string; js?: boolean; link?: string }) => {
      if (!NAME.test(name)) {
        throw new SedaError('SEDA_RUNTIME_OPTIONS', `"${name}" is not a valid package name: use lower-case letters, digits, - . _ (optionally @scope/)`);
      }
      const dir = resolve(flags.dir ?? basename(name));
      if (existsSync(dir)) throw new SedaError('SEDA_RUNTIME_OPTIONS', `${dir} already exists; choose another name or --dir`);
      const core = flags.link === undefined ? `^${cliVersion}` : linkedCore(flags.link, dir);
      const language = flags.js ? 'js' : 'ts';
      const files = stageTemplate({ pkgName: name, stageName: basename(name).replace(/^seda-stage-/, ''), input: flags.input, output: flags.output, language, core });
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      const rel = relative(process.cwd(), dir) || '.';
      const build = language === 'ts' ? ' && npm run build' : '';
      process.stdout.write(
        `created ${rel} (${language === 'ts' ? 'TypeScript' : 'JavaScript'}, @seda/core ${core})\n\n` +
          `next:\n  cd ${rel} && npm install && npm test${build}\n  seda run ./${rel} --brokers host:9092   # or start one with \`seda broker\`\n`,
      );
    });
}
