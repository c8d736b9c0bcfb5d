import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The machine a run was measured on. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
}

/** What code a run measured. */
export interface CommitInfo {
  /** Short commit hash, or "unknown" outside a git checkout. */
  commit: string;
  /** True when the working tree had uncommitted changes to code (Markdown and bench results aside). */
  dirty: boolean;
}

/** CPU model, core count, memory, OS and Node version of this machine. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: (cpus[0]?.model ?? 'unknown').replace(/\s+/g, ' ').trim(),
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

/** The git commit of the checkout at `dir`. */
export function commitInfo(dir: string): CommitInfo {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    // Results and docs written by earlier runs are not code changes.
    const changed = status.split('\n').filter((l) => l.trim() !== '' && !/\.md$|bench\/results\//.test(l));
    return { commit, dirty: changed.length > 0 };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

/** Cumulative machine CPU time (busy and total, in clock ticks), from /proc/stat; undefined off Linux. */
export interface CpuTicks {
  busy: number;
  total: number;
}

/** Reads the machine's cumulative CPU ticks. */
export function machineCpuTicks(): CpuTicks | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const idle = f[3] + (f[4] ?? 0);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** Share of the whole machine's CPU (0..1, all cores) busy between two readings. */
export function busyShare(from: CpuTicks | undefined, to: CpuTicks | undefined): number | undefined {
  if (from === undefined || to === undefined || to.total <= from.total) return undefined;
  return (to.busy - from.busy) / (to.total - from.total);
}
