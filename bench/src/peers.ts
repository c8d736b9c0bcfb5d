import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { benchError } from './errors.js';
import { benchDir } from './options.js';

/**
 * Peers of the passthrough scenario that `npm ci` does not install
 * (@confluentinc/kafka-javascript may compile librdkafka, minutes of CPU):
 * `npm run bench:peers` installs them into bench/peers, with its own
 * package.json and lock file.
 */
export const peersDir = join(benchDir, 'peers');
/** The command that installs the peers. */
export const peersInstallCommand = 'npm run bench:peers';

const requirePeer = createRequire(join(peersDir, 'package.json'));

/** Whether peer package `name` is installed in bench/peers. */
export function isPeerInstalled(name: string): boolean {
  try {
    return existsSync(requirePeer.resolve(`${name}/package.json`));
  } catch {
    try {
      requirePeer.resolve(name);
      return true;
    } catch {
      return false;
    }
  }
}

/** Throws SEDA_BENCH_NOT_MEASURED naming the install command when peer `name` is not installed. */
export function assertPeerInstalled(name: string): void {
  if (!isPeerInstalled(name)) throw benchError('SEDA_BENCH_NOT_MEASURED', `not installed: run "${peersInstallCommand}" (installs ${name} into bench/peers)`);
}

/** Loads peer package `name` from bench/peers (CommonJS or ESM). */
export async function importPeer<T>(name: string): Promise<T> {
  assertPeerInstalled(name);
  return (await import(requirePeer.resolve(name))) as T;
}
