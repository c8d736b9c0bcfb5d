/** What a new stage package is made of. */
export interface StageTemplateOptions {
  /** The npm package name (`my-stage`, `@acme/seda-stage-x`). */
  pkgName: string;
  /** The stage's name (`defineStage({ name })`, its consumer group). */
  stageName: string;
  input: string;
  output: string;
  /** TypeScript (src/, tsc into dist/) or plain JavaScript. */
  language: 'ts' | 'js';
  /** The `@seda/core` dependency: a semver range, or `file:<path>` for --link. */
  core: string;
}

/** Files of a new stage package, by relative path. */
export type TemplateFiles = { [path: string]: string };

const typescriptVersion = '^5.9.3';
const nodeTypesVersion = '^20.19.0';

function packageJson(o: StageTemplateOptions): string {
  const ts = o.language === 'ts';
  const entry = ts ? './dist/src/index.js' : './index.js';
  const pkg = {
    name: o.pkgName,
    version: '0.1.0',
    description: `seda stage ${o.stageName}: ${o.input} -> ${o.output}`,
    type: 'module',
    main: entry,
    ...(ts ? { types: './dist/src/index.d.ts' } : {}),
    exports: { '.': ts ? { types: './dist/src/index.d.ts', default: entry } : entry },
    files: ts ? ['dist/src'] : ['index.js'],
    keywords: ['seda-stage'],
    engines: { node: '>=20.19' },
    scripts: ts ? { build: 'tsc', test: 'tsc && node --test dist/test/*.test.js' } : { test: 'node --test test/*.test.js' },
    dependencies: { '@seda/core': o.core },
    ...(ts ? { devDependencies: { '@types/node': nodeTypesVersion, typescript: typescriptVersion } } : {}),
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

const tsconfig = `${JSON.stringify(
  {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      lib: ['ES2023'],
      types: ['node'],
      strict: true,
      declaration: true,
      sourceMap: true,
      skipLibCheck: true,
      rootDir: '.',
      outDir: 'dist',
    },
    include: ['src', 'test'],
  },
  null,
  2,
)}\n`;

function stageSource(o: StageTemplateOptions): string {
  const doc = `/**
 * ${o.stageName}: reads JSON records from "${o.input}", upper-cases their "text"
 * field and sends them to "${o.output}". Replace process() with your logic.
 */`;
  if (o.language === 'js') {
    return `import { defineStage } from '@seda/core';

${doc}
export default defineStage({
  name: '${o.stageName}',
  input: { topic: '${o.input}', codec: 'json' },
  outputs: { out: { topic: '${o.output}', codec: 'json' } },
  process(record, ctx) {
    if (typeof record.value?.text !== 'string') {
      // Thrown errors are retried, then the record goes to the dead-letter topic.
      throw new Error('value.text must be a string');
    }
    ctx.emit('out', { value: { ...record.value, text: record.value.text.toUpperCase() } });
  },
});
`;
  }
  return `import { defineStage } from '@seda/core';

/** A record of "${o.input}" (JSON); nothing in it is trusted until checked. */
export interface Message {
  text?: unknown;
  [field: string]: unknown;
}

${doc}
export default defineStage<string | null, Message | null, 'out'>({
  name: '${o.stageName}',
  input: { topic: '${o.input}', codec: 'json' },
  outputs: { out: { topic: '${o.output}', codec: 'json' } },
  process(record, ctx) {
    const text = record.value?.text;
    if (typeof text !== 'string') {
      // Thrown errors are retried, then the record goes to the dead-letter topic.
      throw new Error('value.text must be a string');
    }
    ctx.emit('out', { value: { ...record.value, text: text.toUpperCase() } });
  },
});
`;
}

function stageTest(o: StageTemplateOptions): string {
  const ts = o.language === 'ts';
  return `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testStage } from '@seda/core';
import stage${ts ? ', { type Message }' : ''} from '../${ts ? 'src/' : ''}index.js';

test('upper-cases the text of every record, keeping its key', async () => {
  const t = testStage(stage);
  await t.send([{ key: 'a', value: { text: 'hello' } }, { key: 'b', value: { text: 'seda' } }]);
  assert.deepEqual(
    t.outputs${ts ? '<string, Message>' : ''}('out').map((o) => [o.key, o.value.text]),
    [['a', 'HELLO'], ['b', 'SEDA']],
  );
});

test('sends a record without text to the dead-letter topic', async () => {
  const t = testStage(stage);
  await t.send({ key: 'c', value: { nope: 1 } });
  assert.equal(t.outputs('out').length, 0);
  assert.equal(t.deadLetters().length, 1);
  assert.match(t.deadLetters()[0]${ts ? '!' : ''}.error, /text must be a string/);
});
`;
}

function readme(o: StageTemplateOptions): string {
  const ts = o.language === 'ts';
  const entry = ts ? './dist/src/index.js' : './index.js';
  return `# ${o.pkgName}

A [seda](https://www.npmjs.com/package/@seda/cli) stage: \`${o.input}\` -> \`${o.output}\`.

\`\`\`sh
npm install
npm test                        # ${ts ? 'compiles, then runs ' : ''}the in-memory test driver, no Kafka needed
${ts ? 'npm run build                   # tsc into dist/ (what seda run and the package use)\n' : ''}seda topics create ${o.input} --partitions 4
seda topics create ${o.output} --partitions 4
seda run .                      # against --brokers, SEDA_BROKERS or \`seda broker\`
\`\`\`

## Measure it

\`seda bench --stage\` runs this stage, as \`seda run\` runs it, over generated
input next to a raw node-rdkafka consume-produce loop of the same input, on an
embedded broker, and prints throughput, CPU and memory side by side (also JSON
and a chart):

\`\`\`sh
echo '{"key": "a", "value": {"text": "hello"}}' > sample.jsonl    # one record a line
seda bench --stage ${entry} --sample sample.jsonl
seda bench --stage ${entry} --generator ./gen.js   # gen.js: export default (seq) => ({ key, value })
\`\`\`
`;
}

/** The files of a new stage package (package.json, the stage, its test, a README; tsconfig.json for TypeScript). */
export function stageTemplate(o: StageTemplateOptions): TemplateFiles {
  const ts = o.language === 'ts';
  return {
    'package.json': packageJson(o),
    ...(ts ? { 'tsconfig.json': tsconfig, '.gitignore': 'node_modules/\ndist/\n' } : { '.gitignore': 'node_modules/\n' }),
    [ts ? 'src/index.ts' : 'index.js']: stageSource(o),
    [ts ? 'test/stage.test.ts' : 'test/stage.test.js']: stageTest(o),
    'README.md': readme(o),
  };
}
