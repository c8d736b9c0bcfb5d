import { spawn, type ChildProcess } from 'node:child_process';

/** The environment of a command run as a user would: no npm_* of the `npm test` that runs mocha, no SEDA_* of the test run. */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(npm_|SEDA_)/i.test(k) && k !== 'INIT_CWD') env[k] = v;
  }
  return { ...env, ...extra };
}

/** A command started in its own process group (npx and what it runs), with its output kept. */
export interface Started {
  child: ChildProcess;
  output(): string;
  /** Waits (bounded) until the output matches; rejects if the command exits first. */
  waitFor(pattern: RegExp, timeoutMs: number, what: string): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal) of the command itself once it ended; bounded. */
  exited(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once every process of the group has ended (npx's child may outlive npx); bounded. */
  groupGone(timeoutMs: number): Promise<void>;
  /** Sends `signal` to the whole process group. */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM to the group, then SIGKILL if any of it is left after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const groups = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of groups) killGroup(c, 'SIGKILL');
});

function groupAlive(child: ChildProcess): boolean {
  try {
    process.kill(-child.pid!, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

/** Starts `cmd args` in `cwd` in a new process group; every group left is SIGKILLed when the test run exits. */
export function start(cmd: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; input?: string }): Started {
  const child = spawn(cmd, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  groups.add(child);
  let out = '';
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const l of listeners) l();
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => ((out += d), notify()));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => ((out += d), notify()));
  child.stdin!.end(options.input ?? '');
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.on('exit', (code, signal) => {
    exit = { code, signal };
    notify();
  });
  const until = <T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const done = (): void => {
        let value: T | undefined;
        try {
          value = check();
        } catch (err) {
          finish();
          reject(err as Error);
          return;
        }
        if (value !== undefined) {
          finish();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${cmd} ${args.join(' ')})\n${out.slice(-4000)}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        listeners.delete(done);
      };
      listeners.add(done);
      done();
    });
  const started: Started = {
    child,
    output: () => out,
    waitFor: (pattern, timeoutMs, what) =>
      until(
        () => {
          const m = out.match(pattern);
          if (m) return m;
          if (exit) throw new Error(`${cmd} ${args.join(' ')} exited (${exit.code ?? exit.signal}) before ${what}\n${out.slice(-4000)}`);
          return undefined;
        },
        timeoutMs,
        what,
      ),
    exited: (timeoutMs) => until(() => exit, timeoutMs, 'its exit'),
    async groupGone(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (groupAlive(child)) {
        if (Date.now() > deadline) throw new Error(`processes of ${cmd} ${args.join(' ')} still running after ${timeoutMs} ms\n${out.slice(-4000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      groups.delete(child);
    },
    signal: (signal) => killGroup(child, signal),
    async stop(graceMs = 15_000) {
      if (!groupAlive(child)) return void groups.delete(child);
      killGroup(child, 'SIGTERM');
      try {
        await started.groupGone(graceMs);
      } catch {
        killGroup(child, 'SIGKILL');
        await started.groupGone(5_000);
      }
    },
  };
  return started;
}

/** Runs `cmd args` to completion within `timeoutMs` (then the group is killed and it rejects). */
export async function run(
  cmd: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; input?: string; timeoutMs: number },
): Promise<{ code: number | null; output: string }> {
  const p = start(cmd, args, options);
  try {
    const { code } = await p.exited(options.timeoutMs);
    return { code, output: p.output() };
  } finally {
    await p.stop(1_000);
  }
}
