import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SedaError } from '@seda/core';
import { openStateStore } from '@seda/state';

/** Options of `seda state get`. */
export interface StateGetFlags {
  group?: string;
  stateDir?: string;
  /** Metrics URLs of running instances (`http://host:port`). */
  url?: string[];
}

/**
 * `seda state get <stage> <key>`: the key's committed value as JSON. With
 * `--url`, asks each running instance's `/state/<key>` and prints the answer
 * of the one that owns the key (the others' 404s name the partition); without,
 * reads the state directory of a stopped stage. Exit 1 when no one has it.
 */
export async function stateGet(stage: string, key: string, flags: StateGetFlags, out: (line: string) => void): Promise<number> {
  if (flags.url !== undefined && flags.url.length > 0) {
    const misses: string[] = [];
    for (const url of flags.url) {
      const target = `${url.replace(/\/+$/, '')}/state/${encodeURIComponent(key)}`;
      let res: Response;
      try {
        res = await fetch(target, { signal: AbortSignal.timeout(10_000) });
      } catch (err) {
        misses.push(`${url}: unreachable (${(err as Error).message})`);
        continue;
      }
      const body = (await res.json().catch(() => ({}))) as { error?: string };
      if (res.status === 200) {
        out(JSON.stringify(body));
        return 0;
      }
      misses.push(`${url}: ${body.error ?? `HTTP ${res.status}`}`);
    }
    // `problems`: the CLI prints the lines after the first too (each instance's reply, a 404 naming the owner where known).
    throw Object.assign(new SedaError('SEDA_STATE_KEY_NOT_FOUND', `no instance has key "${key}" of stage "${stage}":\n  ${misses.join('\n  ')}`), { problems: misses });
  }
  const dir = resolve(flags.stateDir ?? join('.seda', 'state', flags.group ?? stage));
  if (!existsSync(dir)) throw new SedaError('SEDA_STATE_OPEN', `no state at ${dir}; pass --state-dir (or --group) of the stage you ran, or --url of its running instances`);
  const store = await openStateStore({ dir });
  try {
    const parts = await store.partitions();
    const busy = parts.filter((p) => p.inUse);
    for (const p of parts) {
      if (p.inUse) continue;
      const value = await store.readCommitted(p.topic, p.partition, key);
      if (value !== undefined) {
        out(JSON.stringify({ key, partition: p.partition, value }));
        return 0;
      }
    }
    const held = busy.length > 0 ? `; ${busy.map((p) => `${p.topic}/${p.partition}`).join(', ')} are held by a running stage: ask it with --url http://<host>:<metrics port>` : '';
    throw new SedaError('SEDA_STATE_KEY_NOT_FOUND', `no state for key "${key}" in ${dir}${held}`);
  } finally {
    await store.close();
  }
}
