#!/usr/bin/env node
/**
 * Generates docs/errors.md: every `SEDA_*` error code, with what it means and
 * what to do.
 *
 * - The codes come from the `[...] as const` arrays of every `errors.ts` under
 *   packages/*\/src, stages/*\/src, examples/*\/src and bench/src (parsed with the TypeScript
 *   compiler, so no build is needed).
 * - The text comes from docs/errors.json: `{ "SEDA_X": { "meaning": "...", "action": "..." } }`.
 * - Codes thrown (`new SedaError('SEDA_X', ...)`, `super('SEDA_X', ...)`,
 *   `somethingError('SEDA_X', ...)`) but listed in no errors.ts are reported too.
 *
 * Usage:
 *   node scripts/gen-error-docs.mjs            write docs/errors.md (npm run docs:errors)
 *   node scripts/gen-error-docs.mjs --check    exit 1 if docs/errors.md is stale or a code lacks a description
 *   --root <dir>                               the repository to read (default: this script's repository)
 *
 * Every problem is printed on its own line naming the code and the fix.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const CODE = /^SEDA_[A-Z0-9]+(_[A-Z0-9]+)*$/;
const FIX = 'npm run docs:errors';

/** Every file called `name` under `dir`, skipping dist and node_modules. */
function filesNamed(dir, test, found = []) {
  if (!existsSync(dir)) return found;
  for (const entry of readdirSync(dir).sort()) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) filesNamed(path, test, found);
    else if (test(entry)) found.push(path);
  }
  return found;
}

/** The source directories that hold seda's code: packages/*\/src, stages/*\/src, examples/*\/src, bench/src. */
function sourceDirs(root) {
  const dirs = [];
  for (const group of ['packages', 'stages', 'examples']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) dirs.push(join(base, name, 'src'));
  }
  dirs.push(join(root, 'bench', 'src'));
  return dirs.filter((d) => existsSync(d));
}

/** The name in the nearest package.json above `file`. */
function packageOf(root, file) {
  for (let dir = dirname(file); dir.startsWith(root) && dir !== root; dir = dirname(dir)) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) return JSON.parse(readFileSync(pj, 'utf8')).name ?? relative(root, dir);
  }
  return '(root)';
}

function parse(file) {
  return ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
}

/** `[...] as const` arrays of string literals that are SEDA codes: [{ list, code }]. */
function listedCodes(source) {
  const out = [];
  const visit = (node) => {
    if (ts.isVariableDeclaration(node) && node.initializer && ts.isAsExpression(node.initializer)) {
      const { expression, type } = node.initializer;
      const isConst = ts.isTypeReferenceNode(type) && type.typeName.getText(source) === 'const';
      if (isConst && ts.isArrayLiteralExpression(expression)) {
        for (const el of expression.elements) {
          if (ts.isStringLiteral(el) && CODE.test(el.text)) out.push({ list: node.name.getText(source), code: el.text });
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** Codes given as the first argument of `new XError(...)`, `xError(...)` or `super(...)`: [{ code, line }]. */
function thrownCodes(source) {
  const out = [];
  const visit = (node) => {
    if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && node.arguments && node.arguments.length > 0) {
      const callee = node.expression;
      const name = callee.kind === ts.SyntaxKind.SuperKeyword ? 'super' : ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
      const first = node.arguments[0];
      if ((name === 'super' || /Error$/.test(name)) && ts.isStringLiteralLike(first) && CODE.test(first.text)) {
        out.push({ code: first.text, line: source.getLineAndCharacterOfPosition(first.getStart(source)).line + 1 });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** Collects the codes of a repository: { codes: Map<code, { packages, files }>, thrown: [{ code, where }] }. */
export function collect(root) {
  const codes = new Map();
  const thrown = [];
  for (const dir of sourceDirs(root)) {
    for (const file of filesNamed(dir, (n) => n.endsWith('.ts') && !n.endsWith('.d.ts'))) {
      const source = parse(file);
      const rel = relative(root, file).split(sep).join('/');
      if (file.endsWith(`${sep}errors.ts`)) {
        for (const { code } of listedCodes(source)) {
          const entry = codes.get(code) ?? { packages: new Set(), files: new Set() };
          entry.packages.add(packageOf(root, file));
          entry.files.add(rel);
          codes.set(code, entry);
        }
      }
      for (const t of thrownCodes(source)) thrown.push({ code: t.code, where: `${rel}:${t.line}` });
    }
  }
  return { codes, thrown };
}

function cell(text) {
  return String(text).replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ').trim();
}

/** The markdown of docs/errors.md. */
export function render(codes, descriptions) {
  const byPackage = new Map();
  for (const [code, entry] of codes) {
    const pkg = [...entry.packages].sort().join(', ');
    if (!byPackage.has(pkg)) byPackage.set(pkg, []);
    byPackage.get(pkg).push(code);
  }
  const lines = [
    '<!-- Generated by scripts/gen-error-docs.mjs from the errors.ts code lists and docs/errors.json. Do not edit: change docs/errors.json, then run `npm run docs:errors`. -->',
    '',
    '# Error codes',
    '',
    'Every error seda raises on purpose is a `SedaError` with a stable `code`',
    '(`SEDA_<AREA>_<WHAT>`), a message naming what is wrong and what to do, and',
    '`canRetry` telling whether trying again may help. The CLI prints it as one',
    '`error: ...` line (`--verbose` adds the stack) and exits non-zero; a dead',
    'letter carries the code of the error that sent it there in its',
    '`seda.dlq.code` header. Branch on the code, never on the message text.',
    '',
    `${codes.size} codes, by package:`,
    '',
  ];
  for (const pkg of [...byPackage.keys()].sort()) lines.push(`- [${pkg}](#${anchor(pkg)})`);
  for (const pkg of [...byPackage.keys()].sort()) {
    const files = [...new Set(byPackage.get(pkg).flatMap((c) => [...codes.get(c).files]))].sort();
    lines.push('', `## ${pkg}`, '', `Listed in ${files.map((f) => `\`${f}\``).join(', ')}.`, '', '| code | what it means | what to do |', '|---|---|---|');
    for (const code of byPackage.get(pkg).sort()) {
      const d = descriptions[code];
      lines.push(`| \`${code}\` | ${cell(d.meaning)} | ${cell(d.action)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function anchor(heading) {
  return heading.toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-');
}

/** Everything wrong with the docs of `root`, one line each; and the markdown when the descriptions are complete. */
export function check(root) {
  const { codes, thrown } = collect(root);
  const jsonPath = join(root, 'docs', 'errors.json');
  const problems = [];
  let descriptions = {};
  if (existsSync(jsonPath)) {
    try {
      descriptions = JSON.parse(readFileSync(jsonPath, 'utf8'));
    } catch (err) {
      problems.push(`docs/errors.json is not valid JSON (${err.message}): fix it, then run ${FIX}`);
    }
  } else {
    problems.push(`docs/errors.json does not exist: create it with { "SEDA_X": { "meaning": "...", "action": "..." } } per code, then run ${FIX}`);
  }
  for (const [code, entry] of codes) {
    const d = descriptions[code];
    const where = [...entry.files].join(', ');
    if (d === undefined || typeof d !== 'object') {
      problems.push(`${code} (listed in ${where}) has no description: add "${code}": { "meaning": "...", "action": "..." } to docs/errors.json, then run ${FIX}`);
      continue;
    }
    for (const field of ['meaning', 'action']) {
      if (typeof d[field] !== 'string' || d[field].trim() === '') {
        problems.push(`${code} (listed in ${where}) has no "${field}" in docs/errors.json: write one, then run ${FIX}`);
      }
    }
  }
  for (const code of Object.keys(descriptions)) {
    if (!codes.has(code)) problems.push(`docs/errors.json describes ${code}, which no errors.ts lists: remove the entry (or list the code in its package's errors.ts), then run ${FIX}`);
  }
  const seen = new Set();
  for (const t of thrown) {
    if (codes.has(t.code) || seen.has(t.code)) continue;
    seen.add(t.code);
    problems.push(`${t.code} is thrown at ${t.where} but listed in no errors.ts: add it to the \`as const\` code list of that package's errors.ts and describe it in docs/errors.json, then run ${FIX}`);
  }
  const markdown = problems.length === 0 ? render(codes, descriptions) : undefined;
  return { codes, problems, markdown };
}

/**
 * Checks (and unless `checking`, writes) docs/errors.md of `root`.
 * Returns the exit code and what to print on stdout and stderr.
 */
export function run(root, { checking }) {
  const { codes, problems, markdown } = check(root);
  const mdPath = join(root, 'docs', 'errors.md');
  if (markdown !== undefined && checking) {
    const current = existsSync(mdPath) ? readFileSync(mdPath, 'utf8') : undefined;
    if (current !== markdown) problems.push(`docs/errors.md is ${current === undefined ? 'missing' : 'out of date'} with the errors.ts lists and docs/errors.json: run ${FIX}`);
  }
  if (problems.length > 0) {
    return { code: 1, stdout: '', stderr: `error: docs/errors.md: ${problems.length} problem${problems.length > 1 ? 's' : ''}\n${problems.map((p) => `  - ${p}\n`).join('')}` };
  }
  if (checking) return { code: 0, stdout: `docs/errors.md is up to date: ${codes.size} codes\n`, stderr: '' };
  writeFileSync(mdPath, markdown);
  return { code: 0, stdout: `wrote docs/errors.md: ${codes.size} codes\n`, stderr: '' };
}

function main(argv) {
  const here = dirname(fileURLToPath(import.meta.url));
  const rootAt = argv.indexOf('--root');
  const root = resolve(rootAt >= 0 ? argv[rootAt + 1] : join(here, '..'));
  const result = run(root, { checking: argv.includes('--check') });
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  return result.code;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
