// Builds the embedded broker's N-API binding (native/) against the librdkafka
// that node-rdkafka compiled, with the node-gyp that npm ships.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const native = join(dirname(fileURLToPath(import.meta.url)), '..', 'native');
if (!existsSync(join(native, 'binding.gyp'))) process.exit(0);
const r = spawnSync('node-gyp', ['rebuild', '--directory', native], { stdio: 'inherit', shell: process.platform === 'win32' });
if (r.error) {
  console.error(`error: cannot run node-gyp (${r.error.message}); it ships with npm: run this build through "npm run build:native"`);
  process.exit(1);
}
process.exit(r.status ?? 1);
