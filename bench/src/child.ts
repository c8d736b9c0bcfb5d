import { fork, type ChildProcess } from 'node:child_process';
import { benchError } from './errors.js';

/** Every child the bench started; killed if the bench exits first. */
const alive = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of alive) c.kill('SIGKILL');
});

/** A message between the bench and a child: a `type` and fields. */
export interface Message {
  type: string;
  [key: string]: unknown;
}

/**
 * A child process of the bench (a broker or a worker) spoken to over IPC.
 * Its stderr is kept (the tail) for error messages; every wait is bounded.
 */
export class Child<In extends Message = Message> {
  readonly name: string;
  readonly process: ChildProcess;
  #stderr = '';
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly #listeners = new Set<(msg: In) => void>();
  readonly #exitWaiters = new Set<() => void>();

  constructor(name: string, script: string, args: string[] = [], options: { execArgv?: string[]; env?: NodeJS.ProcessEnv } = {}) {
    this.name = name;
    this.process = fork(script, args, {
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      execArgv: options.execArgv ?? [],
      env: { ...process.env, ...options.env },
      serialization: 'advanced',
    });
    alive.add(this.process);
    this.process.stderr!.on('data', (d: Buffer) => {
      this.#stderr = (this.#stderr + d.toString()).slice(-20_000);
    });
    this.process.on('message', (msg: In) => {
      for (const l of this.#listeners) l(msg);
    });
    this.process.on('exit', (code, signal) => {
      this.#exit = { code, signal };
      alive.delete(this.process);
      for (const w of this.#exitWaiters) w();
    });
  }

  /** Last lines the child wrote on stderr. */
  stderrTail(lines = 20): string {
    return this.#stderr.trimEnd().split('\n').slice(-lines).join('\n');
  }

  get exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.#exit;
  }

  send(msg: Message): void {
    if (this.#exit === undefined && this.process.connected) this.process.send(msg);
  }

  /** Calls `listener` with every message from the child; returns a function that stops it. */
  onMessage(listener: (msg: In) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The next message matching `pred`; rejects if the child exits or sends an error first, or after `timeoutMs`. */
  waitFor<T extends In>(pred: (msg: In) => msg is T, timeoutMs: number, what: string): Promise<T>;
  waitFor(pred: (msg: In) => boolean, timeoutMs: number, what: string): Promise<In>;
  waitFor(pred: (msg: In) => boolean, timeoutMs: number, what: string): Promise<In> {
    return new Promise((resolve, reject) => {
      const fail = (why: string): void => {
        cleanup();
        reject(benchError('SEDA_BENCH_WORKER', `${this.name}: ${why} while waiting for ${what}${this.#stderr ? `; its stderr ends with:\n${this.stderrTail()}` : ''}`));
      };
      const off = this.onMessage((msg) => {
        if (pred(msg)) {
          cleanup();
          resolve(msg);
        } else if (msg.type === 'error') fail(`failed: ${String(msg.message)}`);
      });
      const onExit = (): void => fail(`exited (${this.#exit?.code ?? this.#exit?.signal})`);
      this.#exitWaiters.add(onExit);
      const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        off();
        this.#exitWaiters.delete(onExit);
      };
      if (this.#exit !== undefined) onExit();
    });
  }

  /** Resolves once the child exited; kills it with SIGKILL after `timeoutMs`. */
  exited(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return new Promise((resolve) => {
      if (this.#exit !== undefined) return resolve(this.#exit);
      const timer = setTimeout(() => this.process.kill('SIGKILL'), timeoutMs);
      this.#exitWaiters.add(() => {
        clearTimeout(timer);
        resolve(this.#exit!);
      });
    });
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.#exit === undefined) this.process.kill(signal);
  }
}
