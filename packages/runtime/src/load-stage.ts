import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isSource, isStage, SedaError, stageFromTransform, type Source, type Stage, type StageInstanceOptions } from '@seda/core';

/** The package of a ready-made stage: `billing` is `@seda/stage-billing`. */
export function readyMadeStagePackage(name: string): string {
  return `@seda/stage-${name}`;
}

/**
 * Where installed packages are looked up, in order: the working directory,
 * then seda's own install (the running `seda` script, then this package), so a
 * ready-made stage that came with @seda/cli is found from any directory.
 */
function searchRoots(cwd: string): string[] {
  const roots = [join(cwd, 'package.json')];
  const main = process.argv[1];
  if (main && existsSync(main)) roots.push(realpathSync(main));
  roots.push(fileURLToPath(import.meta.url));
  return roots;
}

/** The entry file of an installed package, from the first root that has it. */
function resolveInstalled(spec: string, roots: string[]): string | undefined {
  for (const root of roots) {
    const req = createRequire(root);
    try {
      return req.resolve(spec);
    } catch {
      // no main export, or not installed there: try its package.json
    }
    const dir = packageDir(spec, dirname(root));
    if (dir) return packageEntry(dir);
  }
  return undefined;
}

/** node_modules/<name> seen from `from` and its parents, the way Node looks packages up (whatever their exports allow). */
function packageDir(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function isPathLike(spec: string): boolean {
  return spec.startsWith('.') || isAbsolute(spec) || /\.(m?js|cjs)$/.test(spec);
}

/** The module file a directory with a package.json (or index.js) stands for. */
function packageEntry(dir: string): string {
  const pkgFile = join(dir, 'package.json');
  if (existsSync(pkgFile)) {
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { main?: string; exports?: unknown };
    const exp = pkg.exports as { '.'?: unknown } | string | undefined;
    let entry: string | undefined;
    if (typeof exp === 'string') entry = exp;
    else if (exp && typeof exp === 'object') {
      const dot = (exp as { '.'?: unknown })['.'] ?? exp;
      entry = typeof dot === 'string' ? dot : ((dot as { import?: string; default?: string }).import ?? (dot as { default?: string }).default);
    }
    entry ??= pkg.main ?? 'index.js';
    return join(dir, entry);
  }
  return join(dir, 'index.js');
}

async function importStage(file: string, spec: string): Promise<unknown> {
  if (!existsSync(file)) {
    throw new SedaError('SEDA_RUNTIME_STAGE_LOAD', `cannot load stage "${spec}": ${file} does not exist (built? run "npm run build" in its package)`);
  }
  try {
    return await import(pathToFileURL(file).href);
  } catch (err) {
    throw new SedaError('SEDA_RUNTIME_STAGE_LOAD', `cannot load stage "${spec}" from ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Turns a module's default export into a stage, or explains why it is not one. */
export function asStage(mod: unknown, spec: string): Stage {
  const exported = (mod as { default?: unknown })?.default ?? mod;
  if (isStage(exported)) return exported;
  if (isSource(exported)) {
    throw new SedaError('SEDA_RUNTIME_NOT_A_STAGE', `"${spec}" is a source (defineSource), not a stage: it has no input to transform; run it with \`seda run ${spec}\``);
  }
  if (typeof exported === 'function' && exported.prototype instanceof Transform) {
    const Ctor = exported as new (options: StageInstanceOptions) => Transform;
    const meta = (exported as { stage?: { name?: string; input?: string; outputs?: { [k: string]: string } } }).stage ?? {};
    return stageFromTransform((o) => new Ctor(o), { name: meta.name ?? Ctor.name ?? 'transform', input: meta.input, outputs: meta.outputs });
  }
  throw new SedaError(
    'SEDA_RUNTIME_NOT_A_STAGE',
    `"${spec}" is not a stage: its default export must be defineStage({...}) (or, for a source, defineSource({...})) from @seda/core, or a Transform subclass`,
  );
}

/** A module's default export as a stage or a source, or why it is neither. */
export function asPlugin(mod: unknown, spec: string): Stage | Source {
  const exported = (mod as { default?: unknown })?.default ?? mod;
  return isSource(exported) ? exported : asStage(mod, spec);
}

/**
 * Loads a stage by ready-made name (`billing`: the installed package
 * `@seda/stage-billing`), path (`./my-stage.js`, a directory with a
 * package.json) or installed package name, resolved from `cwd`, then from
 * seda's own install.
 */
export async function loadStage(spec: string, cwd = process.cwd()): Promise<Stage> {
  return asStage(await loadModule(spec, cwd), spec);
}

/** Loads a stage or a source (`defineSource`), found the way {@link loadStage} finds stages. */
export async function loadPlugin(spec: string, cwd = process.cwd()): Promise<Stage | Source> {
  return asPlugin(await loadModule(spec, cwd), spec);
}

async function loadModule(spec: string, cwd: string): Promise<unknown> {
  if (typeof spec !== 'string' || spec.trim() === '') {
    throw new SedaError('SEDA_RUNTIME_STAGE_LOAD', 'no stage given: pass a stage name, a path to a module, or a package name');
  }
  if (isPathLike(spec)) {
    const path = resolve(cwd, spec);
    if (!existsSync(path)) throw new SedaError('SEDA_RUNTIME_STAGE_LOAD', `cannot load stage "${spec}": ${path} does not exist`);
    return importStage(statSync(path).isDirectory() ? packageEntry(path) : path, spec);
  }
  const roots = searchRoots(cwd);
  const readyMade = spec.includes('/') ? undefined : resolveInstalled(readyMadeStagePackage(spec), roots);
  const file = readyMade ?? resolveInstalled(spec, roots);
  if (file === undefined) {
    throw new SedaError(
      'SEDA_RUNTIME_STAGE_LOAD',
      `cannot find stage "${spec}": it is not a path (start paths with ./), and neither ${spec.includes('/') ? '' : `the ready-made stage ${readyMadeStagePackage(spec)} nor `}` +
        `a package "${spec}" is installed (looked from ${cwd} and from seda's own install); install it with npm install`,
    );
  }
  return importStage(file, spec);
}
