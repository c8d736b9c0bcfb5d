import { fileURLToPath } from 'node:url';
import { Child, type Message } from '../child.js';
import { benchError } from '../errors.js';

const script = fileURLToPath(new URL('./broker-main.js', import.meta.url));

/** CPU and memory a process used so far. */
export interface ProcessUsage {
  cpuMicros: number;
  rss: number;
  peakRss: number;
}

/** An embedded broker in its own process, started for one measurement. */
export class BenchBroker {
  readonly #child: Child;
  readonly bootstrap: string;
  #ids = 0;

  private constructor(child: Child, bootstrap: string) {
    this.#child = child;
    this.bootstrap = bootstrap;
  }

  /** Starts a fresh mock cluster (3 brokers, no rebalance delay) in a child process. */
  static async start(): Promise<BenchBroker> {
    const child = new Child('embedded broker', script);
    child.send({ type: 'start', brokers: 3 });
    try {
      const msg = await child.waitFor((m) => m.type === 'started', 20_000, 'the broker to start');
      return new BenchBroker(child, String(msg.bootstrap));
    } catch (err) {
      child.kill();
      throw benchError('SEDA_BENCH_BROKER', `cannot start the embedded broker: ${(err as Error).message}`, { cause: err });
    }
  }

  get pid(): number {
    return this.#child.process.pid ?? -1;
  }

  /** Creates a topic with `partitions` partitions; resolves once metadata shows it. */
  async createTopic(name: string, partitions: number): Promise<void> {
    const id = ++this.#ids;
    this.#child.send({ type: 'create-topic', id, name, partitions });
    await this.#child.waitFor((m: Message) => m.type === 'topic-created' && m.id === id, 20_000, `topic ${name} to be created`);
  }

  /** CPU and memory of the broker process so far. */
  async usage(): Promise<ProcessUsage> {
    const id = ++this.#ids;
    this.#child.send({ type: 'usage', id });
    const m = await this.#child.waitFor((x: Message) => x.type === 'usage' && x.id === id, 10_000, 'broker usage');
    return { cpuMicros: Number(m.cpuMicros), rss: Number(m.rss), peakRss: Number(m.peakRss) };
  }

  /** Stops the cluster and its process (bounded). */
  async stop(): Promise<void> {
    this.#child.send({ type: 'stop' });
    await this.#child.exited(8000);
  }
}
