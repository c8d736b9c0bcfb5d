import type { ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { StageSpec } from './plan.js';

/** A pino log line of a child (parsed JSON). */
export type LogLine = { [key: string]: unknown };

/** How a process (or a worker of one) ended. */
export interface ExitInfo {
  name: string;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Killed on purpose (--kill-random) or stopped by the demo: not a failure. */
  expected: boolean;
  /** Exited while the demo stopped everything. */
  atStop: boolean;
}

/** Events the demo reacts to. */
export interface ProcessEvents {
  onEvent(message: string): void;
  /** A process or worker started: its pid is known. */
  onStarted(): void;
  onExit(proc: DemoProcess, exit: ExitInfo): void;
}

/** True when a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One `seda run` child of the demo: its own process group (a terminal's
 * Ctrl-C reaches the demo only, which stops the children in order), stderr
 * (pino JSON) kept in a log file and scanned for the few state changes the
 * demo follows: started, partitions assigned/revoked, workers (re)started.
 */
export class DemoProcess {
  readonly spec: StageSpec;
  child: ChildProcess | undefined;
  /** Times started (1 + restarts by the demo). */
  starts = 0;
  /** Exits seen, of the process and of its workers. */
  readonly exits: ExitInfo[] = [];
  /** Worker pid by instance (a supervisor's workers), or the process itself at instance 0. */
  readonly workers = new Map<number, number>();
  /** pid -> true once partitions are assigned to it, false while revoked. */
  readonly assigned = new Map<number, boolean>();
  /** pids that logged "stage started". */
  readonly started = new Set<number>();
  /** Every process (and worker) this stage ran, in start order. */
  readonly history: Array<{ name: string; pid: number }> = [];
  /** pids the demo SIGKILLed on purpose, with when. */
  readonly killed = new Map<number, number>();
  /** The source's result line, once it finished. */
  finished: LogLine | undefined;
  stdout = '';
  /** The last stderr lines, for error reports. */
  readonly tail: string[] = [];
  #log: WriteStream;
  #partial = '';

  constructor(spec: StageSpec, logDir: string) {
    this.spec = spec;
    this.#log = createWriteStream(join(logDir, `${spec.name}.log`), { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  /** Pids of the stage's consumers: the workers of a supervisor, or the process itself. */
  consumerPids(): number[] {
    if (this.spec.instances > 1) return [...this.workers.values()];
    const pid = this.pid;
    return pid === undefined ? [] : [pid];
  }

  /** Every consumer is alive and holds an assignment (no rebalance in progress). */
  isSettled(): boolean {
    const pids = this.consumerPids();
    return pids.length === this.spec.instances && pids.every((p) => isAlive(p) && this.assigned.get(p) === true);
  }

  attach(child: ChildProcess, events: ProcessEvents): void {
    this.child = child;
    this.starts++;
    if (child.pid !== undefined) this.history.push({ name: this.spec.name, pid: child.pid });
    this.workers.clear();
    child.stdout?.on('data', (d: Buffer) => {
      this.stdout += d.toString();
      this.#log.write(d);
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.#log.write(d);
      const lines = (this.#partial + d.toString()).split('\n');
      this.#partial = lines.pop() ?? '';
      for (const line of lines) this.#onLine(line, events);
    });
  }

  #onLine(text: string, events: ProcessEvents): void {
    this.tail.push(text);
    if (this.tail.length > 40) this.tail.shift();
    if (!text.startsWith('{')) return;
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      return;
    }
    const pid = typeof line.pid === 'number' ? line.pid : -1;
    switch (line.msg) {
      case 'stage started':
        this.started.add(pid);
        break;
      case 'partitions assigned':
        this.assigned.set(pid, true);
        break;
      case 'partitions revoked; finishing in-flight records':
        this.assigned.set(pid, false);
        break;
      case 'worker started': {
        const previous = this.workers.get(line.instance as number);
        if (previous !== undefined) this.assigned.delete(previous);
        this.workers.set(line.instance as number, pid);
        this.history.push({ name: `${this.spec.name}#${String(line.instance)}`, pid });
        events.onStarted();
        break;
      }
      case 'source finished':
        this.finished = line;
        break;
      default:
        if (typeof line.msg === 'string' && line.msg.startsWith('worker died')) {
          const instance = line.instance as number;
          const dead = this.workers.get(instance) ?? -1;
          this.workers.delete(instance);
          this.assigned.delete(dead);
          const expected = line.signal === 'SIGKILL' && this.killed.has(dead);
          const exit: ExitInfo = {
            name: `${this.spec.name}#${instance}`,
            pid: dead,
            code: (line.code as number | null) ?? null,
            signal: (line.signal as NodeJS.Signals | null) ?? null,
            expected,
            atStop: false,
          };
          this.exits.push(exit);
          events.onExit(this, exit);
        } else if (line.level === 50 || line.level === 60) {
          events.onEvent(`${this.spec.name}: ${String(line.msg)}${line.err ? `: ${String((line.err as { message?: unknown }).message)}` : ''}`);
        }
    }
  }

  close(): void {
    this.#log.end();
  }
}
