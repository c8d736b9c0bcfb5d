import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SedaError } from '@seda/core';
import { isAlive } from './demo-process.js';

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Makes the demo's directory empty and ready (`logs/`), after checking that
 * no live demo (or a child of one) still uses it: state directories of a
 * previous run would hold offsets of a broker that no longer exists.
 */
export function prepareRunDir(dir: string): void {
  const pidsFile = join(dir, 'pids.json');
  if (existsSync(pidsFile)) {
    let previous: { demo?: number; processes?: Array<{ name: string; pid: number }> } = {};
    try {
      previous = JSON.parse(readFileSync(pidsFile, 'utf8')) as typeof previous;
    } catch {
      // unreadable: a demo killed while writing it; nothing to protect
    }
    const live = [previous.demo, ...(previous.processes ?? []).map((p) => p.pid)].filter(
      (pid): pid is number => typeof pid === 'number' && pid !== process.pid && isAlive(pid) && cmdline(pid).includes('seda'),
    );
    if (live.length > 0) {
      throw new SedaError('SEDA_DEMO_BUSY', `another seda demo is running in ${dir} (pids ${live.join(', ')}): stop it first, or give this one its own --dir`);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
}
