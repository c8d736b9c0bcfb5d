import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DemoProcess, isAlive, type ExitInfo, type ProcessEvents } from './demo-process.js';
import type { StageSpec } from './plan.js';

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * The demo's children: started with `seda run`, restarted when they die
 * while the pipeline runs, stopped with SIGTERM (then SIGKILL past a bound),
 * and all SIGKILLed if the demo itself exits: no stray process. Every pid
 * (workers of `--instances` included) is listed in `<dir>/pids.json`.
 */
export class ProcessGroup {
  readonly procs: DemoProcess[] = [];
  readonly #bin: string;
  readonly #dir: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #events: ProcessEvents;
  #stopping = false;

  constructor(options: { bin: string; dir: string; env: NodeJS.ProcessEnv; events: ProcessEvents }) {
    this.#bin = options.bin;
    this.#dir = options.dir;
    this.#env = options.env;
    this.#events = options.events;
    process.on('exit', () => this.killAllNow());
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** Starts `seda run <spec.module ?? spec.name> <spec.args>`. */
  start(spec: StageSpec): DemoProcess {
    const proc = new DemoProcess(spec, join(this.#dir, 'logs'));
    this.procs.push(proc);
    this.#spawn(proc);
    return proc;
  }

  #spawn(proc: DemoProcess): void {
    const child = spawn(process.execPath, [this.#bin, 'run', proc.spec.module ?? proc.spec.name, ...proc.spec.args], {
      cwd: this.#dir,
      env: this.#env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    proc.attach(child, this.#events);
    this.writePids();
    this.#events.onStarted();
    child.on('exit', (code, signal) => {
      const pid = child.pid ?? -1;
      const expected = this.#stopping || (signal === 'SIGKILL' && proc.killed.has(pid)) || (proc.spec.kind === 'source' && code === 0);
      const exit: ExitInfo = { name: proc.spec.name, pid, code, signal, expected, atStop: this.#stopping };
      proc.exits.push(exit);
      this.writePids();
      this.#events.onExit(proc, exit);
      // A stage that died while the pipeline runs is restarted, as an orchestrator would.
      if (!this.#stopping && proc.spec.kind === 'stage' && proc.starts < 50) {
        setTimeout(() => {
          if (!this.#stopping) {
            this.#spawn(proc);
          }
        }, 300).unref();
      }
    });
    child.on('error', (err) => this.#events.onEvent(`${proc.spec.name}: ${err.message}`));
  }

  /** SIGKILLs a pid on purpose (--kill-random); its exit counts as expected. */
  kill(proc: DemoProcess, pid: number): void {
    proc.killed.set(pid, Date.now());
    killQuietly(pid, 'SIGKILL');
  }

  /** Every pid the demo started or learned of (workers), alive or not. */
  allPids(): Array<{ name: string; pid: number }> {
    return this.procs.flatMap((p) => p.history);
  }

  /** Pids believed alive: running children and their current workers. */
  livePids(): Array<{ name: string; pid: number }> {
    const out: Array<{ name: string; pid: number }> = [];
    for (const p of this.procs) {
      const pid = p.pid;
      if (pid !== undefined) out.push({ name: p.spec.name, pid });
      for (const [i, w] of p.workers) out.push({ name: `${p.spec.name}#${i}`, pid: w });
    }
    return out;
  }

  /** Rewrites `<dir>/pids.json` (read by tests and by a later demo, to refuse running twice). */
  writePids(): void {
    try {
      writeFileSync(join(this.#dir, 'pids.json'), `${JSON.stringify({ demo: process.pid, processes: this.allPids() })}\n`);
    } catch {
      // the directory may be gone at exit
    }
  }

  /**
   * Stops every process: SIGTERM (each drains, delivers and commits; a
   * supervisor stops its workers), then SIGKILL past `timeoutMs`.
   * Resolves with the processes that had to be killed.
   */
  async stopAll(timeoutMs: number): Promise<string[]> {
    this.#stopping = true;
    const waits = this.procs.map((p) => {
      const child = p.child;
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      child.kill('SIGTERM');
      return new Promise<void>((resolve) => child.once('exit', () => resolve()));
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.all(waits).then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    const forced: string[] = [];
    if (timedOut) {
      for (const p of this.procs) if (p.running) forced.push(p.spec.name);
    }
    // Workers stop with their supervisor; one still alive after it is killed.
    await new Promise((r) => setTimeout(r, timedOut ? 0 : 200));
    for (const { name, pid } of this.livePids()) {
      if (isAlive(pid)) {
        if (!forced.includes(name)) forced.push(name);
        killQuietly(pid, 'SIGKILL');
      }
    }
    for (const p of this.procs) p.close();
    this.writePids();
    return forced;
  }

  /** SIGKILLs everything at once (second Ctrl-C, or the demo exiting). Synchronous. */
  killAllNow(): void {
    this.#stopping = true;
    for (const { pid } of this.livePids()) killQuietly(pid, 'SIGKILL');
  }
}
