import { isAlive, type DemoProcess } from './demo-process.js';
import type { ProcessGroup } from './process-group.js';
import { inRounds, random, type RoundsOptions } from './rounds.js';

/** A kill made by --kill-random. */
export interface Kill {
  name: string;
  pid: number;
  atMs: number;
}

/**
 * --kill-random: every `everyMs` (+/- 50%) until `done()`, SIGKILLs a
 * consumer process of a stage (the stage process, or a random worker of an
 * `--instances` supervisor), which its supervisor (the demo, or `seda run
 * --instances`) restarts. Stages are taken in a random order, each once per
 * round, so every stage is hit. Rejects with Interrupted on Ctrl-C.
 */
export async function killRandomly(
  options: RoundsOptions & {
    group: ProcessGroup;
    stages: DemoProcess[];
    everyMs: number;
    onKill: (kill: Kill) => void;
  },
): Promise<void> {
  const rand = random(options.seed);
  await inRounds(options.stages, options.everyMs, rand, options, (p) => {
    const pids = p.consumerPids().filter(isAlive);
    if (pids.length === 0) return; // restarting right now: its turn passes
    const pid = pids[Math.floor(rand() * pids.length)];
    const instance = [...p.workers].find(([, w]) => w === pid)?.[0];
    options.onKill({ name: p.spec.instances > 1 ? `${p.spec.name}#${instance ?? '?'}` : p.spec.name, pid, atMs: Date.now() - options.started });
    options.group.kill(p, pid);
  });
}

/** True when every killed process came back: a later start of the same process (or worker instance). */
export function everyKillRestarted(kills: Kill[], procs: DemoProcess[]): boolean {
  return kills.every((k) => {
    const proc = procs.find((p) => k.name === p.spec.name || k.name.startsWith(`${p.spec.name}#`));
    if (proc === undefined) return false;
    const i = proc.history.findIndex((h) => h.pid === k.pid);
    return i >= 0 && proc.history.slice(i + 1).some((h) => h.name === proc.history[i].name);
  });
}
