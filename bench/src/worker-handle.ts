import { fileURLToPath } from 'node:url';
import { Child, type Message } from './child.js';
import type { FromWorker, WorkerConfig, WorkerResult, WorkerSample } from './worker/protocol.js';

const script = fileURLToPath(new URL('./worker/worker-main.js', import.meta.url));

/** A worker process running one system under test, with the samples it sent. */
export class WorkerHandle {
  readonly name: string;
  readonly config: WorkerConfig;
  readonly child: Child<FromWorker & Message>;
  readonly samples: WorkerSample[] = [];
  /** Partitions assigned to it now. */
  assigned = 0;
  /** Set when it reported a fatal error or exited unasked. */
  failure: string | undefined;
  #stopping = false;

  constructor(name: string, config: WorkerConfig, execArgv: string[] = []) {
    this.name = name;
    this.config = config;
    this.child = new Child<FromWorker & Message>(name, script, [], { execArgv });
    this.child.onMessage((m) => {
      if (m.type === 'sample') this.samples.push({ t: m.t, cpuMicros: m.cpuMicros, rss: m.rss, count: m.count });
      else if (m.type === 'assigned') this.assigned = m.partitions;
      else if (m.type === 'error') this.failure ??= `${name} failed: ${m.message}`;
    });
    this.child.process.on('exit', (code, signal) => {
      if (!this.#stopping) this.failure ??= `${name} exited unexpectedly (${code ?? signal})${this.child.stderrTail() ? `; stderr:\n${this.child.stderrTail()}` : ''}`;
    });
  }

  /** Starts the system and resolves once it is connected. */
  async start(timeoutMs = 60_000): Promise<void> {
    this.child.send({ type: 'start', config: this.config });
    await this.child.waitFor((m) => m.type === 'ready', timeoutMs, `${this.name} to connect`);
  }

  /** Records consumed (or acknowledged) at the last sample. */
  count(): number {
    return this.samples.length === 0 ? 0 : this.samples[this.samples.length - 1].count;
  }

  /** Graceful stop; resolves with what the worker reports. */
  async stop(timeoutMs = 90_000): Promise<WorkerResult> {
    this.#stopping = true;
    this.child.send({ type: 'stop' });
    const done = await this.child.waitFor((m): m is FromWorker & Message & { type: 'done' } => m.type === 'done', timeoutMs, `${this.name} to stop`);
    await this.child.exited(5000);
    return done.result;
  }

  kill(): void {
    this.#stopping = true;
    this.child.kill();
  }
}
