import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { OffsetProbe } from '@seda/kafka';
import type { DemoProcess } from './demo-process.js';

/** What the live view shows of one process of the pipeline. */
export interface StageStats {
  name: string;
  kind: 'source' | 'stage';
  instances: number;
  /** Records consumed and committed (stages) or produced and acknowledged (the source). */
  in: number;
  inRate: number;
  /** Records in the stage's output topic. */
  out: number;
  outRate: number;
  /** Records of its input topic: what it could have consumed so far. */
  available: number;
  lag: number;
  dlq: number;
  stateBytes: number | undefined;
  restarts: number;
  status: string;
}

/** One look at the whole pipeline. */
export interface Sample {
  at: number;
  stages: StageStats[];
  /** Partitions whose log start moved past offset 0: records deleted by the broker's retention. */
  retentionLoss: Array<{ topic: string; partition: number; low: number }>;
  /** Every group has consumed and committed all of its input. */
  lagZero: boolean;
  /** Every consumer of every stage is alive and holds an assignment. */
  settled: boolean;
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) total += await dirBytes(path);
    else total += await stat(path).then((s) => s.size, () => 0);
  }
  return total;
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/**
 * Samples the pipeline from outside, the way an operator's dashboard would:
 * committed offsets and watermarks from the broker, state size from disk,
 * process state from the demo's children. Nothing in the stages is
 * instrumented for it (their Prometheus metrics can replace this later).
 */
export class Monitor {
  readonly #probe: OffsetProbe;
  readonly #procs: DemoProcess[];
  readonly #topics: string[];
  readonly #partitions: number;
  /** Recent (time, value) points per counter, for rates over a few seconds. */
  readonly #history = new Map<string, Array<[number, number]>>();
  last: Sample | undefined;

  constructor(probe: OffsetProbe, procs: DemoProcess[], topics: string[], partitions: number) {
    this.#probe = probe;
    this.#procs = procs;
    this.#topics = topics;
    this.#partitions = partitions;
  }

  #rate(key: string, at: number, value: number): number {
    let points = this.#history.get(key);
    if (points === undefined) this.#history.set(key, (points = []));
    points.push([at, value]);
    while (points.length > 2 && at - points[0][0] > 3000) points.shift();
    const [t0, v0] = points[0];
    return at > t0 ? Math.max(0, ((value - v0) * 1000) / (at - t0)) : 0;
  }

  /** Takes one sample. Committed offsets are read before watermarks, so lag is never under-estimated. */
  async sample(): Promise<Sample> {
    const stages = this.#procs.filter((p) => p.spec.kind === 'stage');
    const committed = await Promise.all(stages.map((p) => this.#probe.committed(p.spec.group!, p.spec.input!, this.#partitions)));
    const marks = new Map(await Promise.all(this.#topics.map(async (t) => [t, await this.#probe.watermarks(t, this.#partitions)] as const)));
    const at = Date.now();
    const retentionLoss: Sample['retentionLoss'] = [];
    for (const [topic, w] of marks) w.low.forEach((low, partition) => low > 0 && retentionLoss.push({ topic, partition, low }));
    const out: StageStats[] = [];
    let lagZero = true;
    let settled = true;
    // The source first, then the stages in pipeline order.
    for (const p of [...this.#procs].sort((a, b) => (a.spec.kind === b.spec.kind ? 0 : a.spec.kind === 'source' ? -1 : 1))) {
      const outMarks = marks.get(p.spec.output)!;
      const outCount = sum(outMarks.high) - sum(outMarks.low);
      const restarts = p.exits.filter((e) => !e.atStop && !(p.spec.kind === 'source' && e.code === 0)).length;
      const end = p.exits.at(-1);
      const stopped = !p.running && end?.atStop === true ? `stopped (${end.signal ?? `exit ${String(end.code)}`})` : undefined;
      if (p.spec.kind === 'source') {
        out.push({
          name: p.spec.name,
          kind: 'source',
          instances: 1,
          in: outCount,
          inRate: this.#rate(`${p.spec.name}.in`, at, outCount),
          out: outCount,
          outRate: this.#rate(`${p.spec.name}.out`, at, outCount),
          available: outCount,
          lag: 0,
          dlq: 0,
          stateBytes: undefined,
          restarts,
          status: p.running ? 'producing' : p.finished ? 'done' : p.exits.length > 0 ? `exited ${String(p.exits.at(-1)?.code ?? p.exits.at(-1)?.signal)}` : 'waiting',
        });
        continue;
      }
      const c = committed[stages.indexOf(p)];
      const input = marks.get(p.spec.input!)!;
      // Nothing committed yet on a partition: its consumer is at the log start.
      const consumed = sum(c.map((o, i) => (o < 0 ? input.low[i] : o) - input.low[i]));
      const lag = sum(c.map((o, i) => Math.max(0, input.high[i] - (o < 0 ? input.low[i] : o))));
      const dlqMarks = marks.get(p.spec.dlq!)!;
      const isSettled = p.isSettled();
      lagZero &&= lag === 0;
      settled &&= isSettled;
      out.push({
        name: p.spec.name,
        kind: 'stage',
        instances: p.spec.instances,
        in: consumed,
        inRate: this.#rate(`${p.spec.name}.in`, at, consumed),
        out: outCount,
        outRate: this.#rate(`${p.spec.name}.out`, at, outCount),
        available: sum(input.high) - sum(input.low),
        lag,
        dlq: sum(dlqMarks.high) - sum(dlqMarks.low),
        stateBytes: p.spec.stateDir === undefined ? undefined : await dirBytes(p.spec.stateDir),
        restarts,
        status: stopped ?? (!p.running ? 'restarting' : isSettled ? 'running' : p.started.size === 0 ? 'starting' : 'rebalancing'),
      });
    }
    this.last = { at, stages: out, retentionLoss, lagZero, settled };
    return this.last;
  }
}
