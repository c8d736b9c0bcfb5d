import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isSource, isStage, SedaError, stageFromTransform, type Source, type Stage, type StageInstanceOptions } from '@seda/core';

/** Where the ready-made stages of this repository live (stages/<name>). */
export const builtinStagesDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../stages');

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
 * Loads a stage by name (a folder of stages/), path (`./my-stage.js`, a
 * directory with a package.json) or installed package name, resolved from `cwd`.
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
  const builtin = join(builtinStagesDir, spec);
  if (!spec.includes('/') && existsSync(join(builtin, 'package.json'))) {
    return importStage(packageEntry(builtin), spec);
  }
  let file: string;
  try {
    file = createRequire(join(cwd, 'package.json')).resolve(spec);
  } catch {
    try {
      file = packageEntry(dirname(createRequire(join(cwd, 'package.json')).resolve(`${spec}/package.json`)));
    } catch {
      throw new SedaError(
        'SEDA_RUNTIME_STAGE_LOAD',
        `cannot find stage "${spec}": it is not a stage of stages/, not a path (start paths with ./), and no installed package of that name was found from ${cwd}`,
      );
    }
  }
  return importStage(file, spec);
}
