import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** True while a process with this pid exists (signal 0 checks without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Path of the compiled `seda` binary. */
export const sedaBin = fileURLToPath(new URL('../../../packages/cli/bin/seda.js', import.meta.url));

/** A `seda` child process whose JSON log lines (stderr) and stdout are kept for inspection. */
export interface SedaProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Log lines (parsed pino JSON) seen so far. */
  logs: () => Array<{ [key: string]: unknown }>;
  /** Waits (bounded) for a log line matching `pred`. */
  waitForLog(pred: (line: { [key: string]: unknown }) => boolean, timeoutMs: number, what: string): Promise<{ [key: string]: unknown }>;
  /** Resolves with the exit code (or signal) once the process ended; bounded. */
  exited(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): void;
}

const alive = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of alive) c.kill('SIGKILL');
});

/** Starts `node seda <args>` with JSON logs; every process is killed when the test run exits. */
export function startSeda(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; detached?: boolean } = {}): SedaProcess {
  const child = spawn(process.execPath, [sedaBin, ...args], {
    cwd: options.cwd,
    detached: options.detached,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  alive.add(child);
  let out = '';
  let err = '';
  const logs: Array<{ [key: string]: unknown }> = [];
  const waiters = new Set<() => void>();
  let partial = '';
  // Decoded by the streams: a multi-byte character split across two chunks stays whole.
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    out += d;
  });
  child.stderr!.on('data', (d: string) => {
    const text = d;
    err += text;
    partial += text;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      try {
        logs.push(JSON.parse(line) as { [key: string]: unknown });
      } catch {
        // not a log line
      }
    }
    for (const w of waiters) w();
  });
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exitWaiters = new Set<() => void>();
  child.on('exit', (code, signal) => {
    exit = { code, signal };
    alive.delete(child);
    for (const w of exitWaiters) w();
    for (const w of waiters) w();
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    logs: () => logs,
    waitForLog(pred, timeoutMs, what) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const hit = logs.find(pred);
          if (hit) {
            cleanup();
            resolve(hit);
            return true;
          }
          if (exit) {
            cleanup();
            reject(new Error(`seda ${args.join(' ')} exited (${exit.code ?? exit.signal}) before: ${what}\nstderr:\n${err.slice(-3000)}`));
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for: ${what}\nstderr:\n${err.slice(-3000)}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(onData);
        };
        const onData = (): void => {
          check();
        };
        if (!check()) waiters.add(onData);
      });
    },
    exited(timeoutMs) {
      return new Promise((resolve, reject) => {
        if (exit) return resolve(exit);
        const timer = setTimeout(() => {
          exitWaiters.delete(done);
          reject(new Error(`seda ${args.join(' ')} did not exit within ${timeoutMs} ms\nstderr:\n${err.slice(-3000)}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          resolve(exit!);
        };
        exitWaiters.add(done);
      });
    },
    kill(signal = 'SIGTERM') {
      child.kill(signal);
    },
  };
}

/** Runs `seda <args>` to completion (bounded) and returns its output and exit code. */
export async function runSeda(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = startSeda(args, options);
  p.child.stdin!.end(options.input ?? '');
  const { code } = await p.exited(options.timeoutMs ?? 60_000);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/**
 * Waits until `pred()` is true, polling; throws after `timeoutMs`, with the
 * stderr tails of `watch` (the processes the wait depends on) in the message.
 */
export async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string, intervalMs = 100, watch: SedaProcess[] = []): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) {
      const tails = watch.map((p) => `\n--- ${p.child.pid} stderr:\n${p.stderr().slice(-3000)}`).join('');
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}${tails}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
