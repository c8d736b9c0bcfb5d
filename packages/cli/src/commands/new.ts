import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { SedaError } from '@seda/core';

const NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/** The files of a new stage package, by relative path. */
export function stageTemplate(pkgName: string, stageName: string, input: string, output: string): { [path: string]: string } {
  return {
    'package.json': `${JSON.stringify(
      {
        name: pkgName,
        version: '0.1.0',
        description: `seda stage ${stageName}`,
        type: 'module',
        main: './index.js',
        exports: { '.': './index.js' },
        keywords: ['seda-stage'],
        scripts: { test: 'node --test test/' },
        peerDependencies: { '@seda/core': '>=0.1.0' },
      },
      null,
      2,
    )}\n`,
    'index.js': `import { defineStage } from '@seda/core';

/**
 * ${stageName}: reads JSON records from "${input}", upper-cases their "text"
 * field and sends them to "${output}". Replace process() with your logic.
 */
export default defineStage({
  name: '${stageName}',
  input: { topic: '${input}', codec: 'json' },
  outputs: { out: { topic: '${output}', codec: 'json' } },
  process(record, ctx) {
    if (typeof record.value?.text !== 'string') {
      // Thrown errors are retried, then the record goes to the dead-letter topic.
      throw new Error('value.text must be a string');
    }
    ctx.emit('out', { value: { ...record.value, text: record.value.text.toUpperCase() } });
  },
});
`,
    'test/stage.test.js': `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testStage } from '@seda/core';
import stage from '../index.js';

test('upper-cases the text of every record, keeping its key', async () => {
  const t = testStage(stage);
  await t.send([{ key: 'a', value: { text: 'hello' } }, { key: 'b', value: { text: 'seda' } }]);
  assert.deepEqual(
    t.outputs('out').map((o) => [o.key, o.value.text]),
    [['a', 'HELLO'], ['b', 'SEDA']],
  );
});

test('sends a record without text to the dead-letter topic', async () => {
  const t = testStage(stage);
  await t.send({ key: 'c', value: { nope: 1 } });
  assert.equal(t.outputs('out').length, 0);
  assert.equal(t.deadLetters().length, 1);
  assert.match(t.deadLetters()[0].error, /text must be a string/);
});
`,
    'README.md': `# ${pkgName}

A [seda](https://www.npmjs.com/package/@seda/cli) stage: \`${input}\` -> \`${output}\`.

\`\`\`sh
npm test                        # in-memory test driver, no Kafka needed
seda topics create ${input} --partitions 4
seda topics create ${output} --partitions 4
seda run ./                     # against --brokers, SEDA_BROKERS or \`seda broker\`
\`\`\`
`,
  };
}

/** `seda new <name>`: scaffolds a stage plugin package that passes its own test. */
export function registerNewCommand(program: Command): void {
  program
    .command('new')
    .description('create a stage plugin package (stage, in-memory test, package.json) in ./<name>')
    .argument('<name>', 'package name, e.g. my-stage or @acme/seda-stage-x')
    .option('--dir <dir>', 'directory to create (default: ./<name without scope>)')
    .option('--input <topic>', 'input topic', 'input')
    .option('--output <topic>', 'output topic', 'output')
    .option('--verbose', 'print stack traces of errors')
    .action((name: string, flags: { dir?: string; input: string; output: string }) => {
      if (!NAME.test(name)) {
        throw new SedaError('SEDA_RUNTIME_OPTIONS', `"${name}" is not a valid package name: use lower-case letters, digits, - . _ (optionally @scope/)`);
      }
      const dir = resolve(flags.dir ?? basename(name));
      if (existsSync(dir)) throw new SedaError('SEDA_RUNTIME_OPTIONS', `${dir} already exists; choose another name or --dir`);
      const stageName = basename(name).replace(/^seda-stage-/, '');
      for (const [path, text] of Object.entries(stageTemplate(name, stageName, flags.input, flags.output))) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      // Until @seda/core is on a registry, link the one this seda runs on, so the
      // new stage's test and `seda run` work at once, offline.
      let linked = '';
      try {
        createRequire(join(dir, 'package.json')).resolve('@seda/core');
      } catch {
        const core = dirname(dirname(dirname(createRequire(import.meta.url).resolve('@seda/core'))));
        mkdirSync(join(dir, 'node_modules', '@seda'), { recursive: true });
        symlinkSync(core, join(dir, 'node_modules', '@seda', 'core'), 'dir');
        linked = ` (linked @seda/core from ${core})`;
      }
      const rel = relative(process.cwd(), dir) || '.';
      process.stdout.write(
        `created ${rel}${linked}\n\nnext:\n  cd ${rel} && npm test\n  seda run ./${rel} --brokers host:9092   # or start one with \`seda broker\`\n`,
      );
    });
}
