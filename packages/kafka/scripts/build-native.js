// Builds the embedded broker's N-API binding (native/) against the librdkafka
// that node-rdkafka compiled, with the node-gyp that npm ships. It is
// @seda/kafka's postinstall (npm runs it after node-rdkafka's install, which
// compiles librdkafka) and the seda repository's `npm run build:native`.
// SEDA_SKIP_NATIVE=1 skips it: seda then runs against Kafka clusters only
// (`seda broker` says how to build the binding when it is needed).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const native = join(pkgDir, 'native');

/** The command that reruns this build where @seda/kafka sits: the repo's script, or npm rebuild. */
function rebuildCommand() {
  try {
    const root = JSON.parse(readFileSync(join(pkgDir, '..', '..', 'package.json'), 'utf8'));
    if (root.name === 'seda' && Array.isArray(root.workspaces)) return 'npm run build:native';
  } catch {
    // not in the seda repository
  }
  return 'npm rebuild @seda/kafka';
}

function fail(why) {
  console.error(
    `error: @seda/kafka could not build the embedded broker's native binding: ${why}.\n` +
      `Fix that, then run "${rebuildCommand()}". Only \`seda broker\` (and tests on the embedded broker) need it: ` +
      'to install without it (seda against a Kafka cluster only), set SEDA_SKIP_NATIVE=1.',
  );
  process.exit(1);
}

if (process.env.SEDA_SKIP_NATIVE === '1') {
  console.error(`@seda/kafka: SEDA_SKIP_NATIVE=1, the embedded broker's binding is not built (build it later with "${rebuildCommand()}")`);
  process.exit(0);
}
if (process.platform !== 'linux') fail(`it is built for Linux only (this is ${process.platform})`);
if (!existsSync(join(native, 'binding.gyp'))) fail(`${join(native, 'binding.gyp')} is missing (an incomplete package)`);

let deps;
try {
  deps = join(dirname(createRequire(join(native, 'binding.gyp')).resolve('node-rdkafka/package.json')), 'build', 'deps');
} catch (err) {
  fail(`node-rdkafka is not installed next to @seda/kafka (${err.message.split('\n')[0]})`);
}
for (const f of ['include/librdkafka/rdkafka_mock.h', 'librdkafka.so.1']) {
  if (!existsSync(join(deps, f))) {
    fail(`node-rdkafka's bundled librdkafka is not there (${join(deps, f)} is missing): node-rdkafka must be built from source with its bundled librdkafka (not BUILD_LIBRDKAFKA=0), and its install must have succeeded`);
  }
}

const r = spawnSync('node-gyp', ['rebuild', '--directory', native], { stdio: 'inherit', shell: process.platform === 'win32' });
if (r.error) fail(`cannot run node-gyp (${r.error.message}); it ships with npm, so run this through npm`);
if (r.status !== 0) fail(`node-gyp exited with ${r.status ?? r.signal} (its output is above; a C compiler, make and python3 are needed, as for node-rdkafka)`);
