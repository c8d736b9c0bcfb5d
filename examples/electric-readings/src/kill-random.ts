import { isAlive, type DemoProcess } from './demo-process.js';
import type { ProcessGroup } from './process-group.js';
import { pause } from './wait.js';

/** A kill made by --kill-random. */
export interface Kill {
  name: string;
  pid: number;
  atMs: number;
}

/** A seeded generator, so which process is killed (or which fault injected) when is reproducible with --seed. */
export function random(seed: number): () => number {
  let a = (seed ^ 0x9e3779b9) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * --kill-random: every `everyMs` (+/- 50%) until `done()`, SIGKILLs a
 * consumer process of a stage (the stage process, or a random worker of an
 * `--instances` supervisor), which its supervisor (the demo, or `seda run
 * --instances`) restarts. Stages are taken in a random order, each once per
 * round, so every stage is hit. Rejects with Interrupted on Ctrl-C.
 */
export async function killRandomly(options: {
  group: ProcessGroup;
  stages: DemoProcess[];
  everyMs: number;
  seed: number;
  signal: AbortSignal;
  done: () => boolean;
  started: number;
  onKill: (kill: Kill) => void;
}): Promise<void> {
  const rand = random(options.seed);
  let round: DemoProcess[] = [];
  while (!options.done()) {
    await pause(options.everyMs * (0.5 + rand()), options.signal);
    if (options.done()) return;
    if (round.length === 0) {
      round = [...options.stages];
      for (let i = round.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [round[i], round[j]] = [round[j], round[i]];
      }
    }
    const p = round.shift()!;
    const pids = p.consumerPids().filter(isAlive);
    if (pids.length === 0) continue; // restarting right now: its turn passes
    const pid = pids[Math.floor(rand() * pids.length)];
    const instance = [...p.workers].find(([, w]) => w === pid)?.[0];
    options.onKill({ name: p.spec.instances > 1 ? `${p.spec.name}#${instance ?? '?'}` : p.spec.name, pid, atMs: Date.now() - options.started });
    options.group.kill(p, pid);
  }
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
