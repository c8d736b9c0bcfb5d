import { hostname } from 'node:os';
import dagre from '@dagrejs/dagre';
import { AnnouncementLog, type AnnouncedInstance, type TopicReader } from '@seda/runtime';
import type { GroupOffsets } from './group-offsets.js';
import { scrape, type Scraped } from './scrape.js';

/** Edge status rules, stated on the page as they are applied here. */
export const statusRules = {
  window: 15_000,
  behindSeconds: 60,
  text: [
    'stopped: no instance of the consuming stage is up (none announced with a fresh heartbeat; stages given by --stage and not announced are never called stopped)',
    'stalled: lag > 0 and the committed offset did not move in the last 15 s',
    'falling behind: lag grew over the last 15 s by more than 5 s of consumption (and 10 records), or the oldest unconsumed record is over 60 s old',
    'ok: otherwise',
  ],
} as const;

export type EdgeStatus = 'ok' | 'falling behind' | 'stalled' | 'stopped';

/** A node: a seda stage or source, an external consumer group, or a topic nobody known writes or reads. */
export interface PipelineNode {
  id: string;
  kind: 'stage' | 'source' | 'group' | 'topic' | 'dlq';
  name: string;
  /** False for a stage known only from its definition (`--stage`). */
  announced?: boolean;
  group?: string;
  mode?: string;
  input?: string;
  dlq?: string;
  instances: Array<{ instance: string; host: string; pid: number; stale: boolean; ageMs: number; metricsUrl?: string; startedAt: string }>;
  up: number;
  stale: number;
  metrics?: {
    inPerSec: number | null;
    outPerSec: number | null;
    deadLetters: number;
    retries: number;
    rebalances: number;
    stateBytes?: number;
    restoreRemaining?: number;
  };
  x: number;
  y: number;
  width: number;
  height: number;
}

/** An edge: a topic from its writer to its reader; lag when the reader is a group. */
export interface PipelineEdge {
  id: string;
  from: string;
  to: string;
  topic: string;
  dlq: boolean;
  group?: string;
  lag?: {
    records: number;
    seconds: number;
    consumePerSec: number | null;
    inflowPerSec: number | null;
    drainSeconds: number | null;
    status: EdgeStatus;
  };
  points: Array<{ x: number; y: number }>;
}

/** What the page shows. */
export interface PipelineSnapshot {
  at: number;
  nodes: PipelineNode[];
  edges: PipelineEdge[];
  dlqTopics: string[];
  rules: readonly string[];
  width: number;
  height: number;
  /** Problems met while reading (shown, never hidden). */
  warnings: string[];
  announcing: boolean;
}

/**
 * A stage known from its definition (`seda ui --stage`, what `seda describe`
 * knows) rather than an announcement: drawn with its topics and lag; with no
 * heartbeat, its edges are never called stopped.
 */
export interface DeclaredStage {
  name: string;
  group: string;
  input: string;
  outputs: { [name: string]: string };
  dlq: string;
  mode: string;
}

interface Sample {
  at: number;
  committed: number;
  high: number;
}

/**
 * Builds snapshots of the pipeline: announcements (stages seen once stay,
 * shown stopped), committed offsets and watermarks per group and topic, the
 * timestamp of the oldest unconsumed record per partition (lag in seconds),
 * rates from the last samples, scraped /metrics, and a dagre layout.
 */
export class Pipeline {
  readonly #reader: TopicReader;
  readonly #offsets: GroupOffsets;
  readonly #log: AnnouncementLog;
  readonly #externalGroups: string[];
  /** Stages and sources ever seen: key -> latest instances. */
  readonly #seen = new Map<string, AnnouncedInstance[]>();
  readonly #history = new Map<string, Sample[]>();
  readonly #timestamps = new Map<string, number>();
  readonly #scrapes = new Map<string, Scraped[]>();

  readonly #declared: DeclaredStage[];

  constructor(reader: TopicReader, offsets: GroupOffsets, options: { externalGroups?: string[]; declared?: DeclaredStage[] } = {}) {
    this.#reader = reader;
    this.#offsets = offsets;
    this.#log = new AnnouncementLog(reader);
    this.#externalGroups = options.externalGroups ?? [];
    this.#declared = options.declared ?? [];
  }

  /** Reads everything once and lays the graph out. */
  async snapshot(now = Date.now()): Promise<PipelineSnapshot> {
    const warnings: string[] = [];
    const topics = await this.#reader.topics();
    const announced = await this.#log.refresh(now);
    const current = new Map<string, AnnouncedInstance[]>();
    for (const a of announced) {
      const key = `${a.kind}\u0000${a.group ?? ''}\u0000${a.name}`;
      current.set(key, [...(current.get(key) ?? []), a]);
    }
    for (const [key, list] of current) this.#seen.set(key, list);
    const nodes: PipelineNode[] = [];
    const writers = new Map<string, string[]>();
    // `up` undefined: not announced, so whether it runs is unknown.
    const readers: Array<{ node: string; group: string; topic: string; up: boolean | undefined }> = [];
    for (const [key, list0] of this.#seen) {
      const list = current.get(key) ?? [];
      const d = list0[0];
      const id = d.kind === 'source' ? `source:${d.name}` : `stage:${d.group}/${d.name}`;
      const up = list.filter((i) => !i.stale).length;
      const node: PipelineNode = {
        id,
        kind: d.kind,
        name: d.name,
        group: d.group,
        mode: d.mode,
        input: d.input,
        dlq: d.dlq,
        instances: list.map((i) => ({ instance: i.instance, host: i.host, pid: i.pid, stale: i.stale, ageMs: i.ageMs, metricsUrl: i.metricsUrl, startedAt: i.startedAt })),
        up,
        stale: list.length - up,
        x: 0,
        y: 0,
        width: 180,
        height: 56,
      };
      node.metrics = await this.#metrics(id, list.filter((i) => !i.stale), now, warnings);
      nodes.push(node);
      for (const t of Object.values(d.outputs)) writers.set(t, [...(writers.get(t) ?? []), id]);
      if (d.kind === 'stage' && d.input !== undefined && d.group !== undefined) readers.push({ node: id, group: d.group, topic: d.input, up: up > 0 });
      if (d.dlq !== undefined) writers.set(d.dlq, [...(writers.get(d.dlq) ?? []), id]);
    }
    for (const s of this.#declared) {
      const id = `stage:${s.group}/${s.name}`;
      if (nodes.some((n) => n.id === id)) continue; // announced: the announcement wins
      nodes.push({ id, kind: 'stage', name: s.name, group: s.group, mode: s.mode, input: s.input, dlq: s.dlq, announced: false, instances: [], up: 0, stale: 0, x: 0, y: 0, width: 180, height: 56 });
      for (const t of [...Object.values(s.outputs), s.dlq]) writers.set(t, [...(writers.get(t) ?? []), id]);
      readers.push({ node: id, group: s.group, topic: s.input, up: undefined });
    }
    for (const g of this.#externalGroups) {
      if (readers.some((r) => r.group === g)) continue;
      const id = `group:${g}`;
      nodes.push({ id, kind: 'group', name: g, group: g, instances: [], up: 0, stale: 0, x: 0, y: 0, width: 200, height: 64 });
      // An external group reads every topic it committed on that seda writes.
      for (const t of writers.keys()) {
        const committed = await this.#offsets.committed(g, t, topics.get(t) ?? 0).catch(() => []);
        if (committed.some((o) => o >= 0)) readers.push({ node: id, group: g, topic: t, up: true });
      }
    }
    const dlqTopics = [...new Set([...[...this.#seen.values()].map((l) => l[0].dlq), ...this.#declared.map((s) => s.dlq)].filter((t): t is string => t !== undefined))].sort();
    const edges: PipelineEdge[] = [];
    const ensureTopicNode = (kind: 'topic' | 'dlq', topic: string): string => {
      const id = `${kind}:${topic}`;
      if (!nodes.some((n) => n.id === id)) nodes.push({ id, kind, name: topic, instances: [], up: 0, stale: 0, x: 0, y: 0, width: 180, height: 40 });
      return id;
    };
    const read = new Set<string>();
    for (const r of readers) {
      read.add(r.topic);
      const from = writers.get(r.topic) ?? [ensureTopicNode('topic', r.topic)];
      const lag = topics.has(r.topic) ? await this.#lag(r.group, r.topic, topics.get(r.topic)!, r.up, now).catch((err: Error) => (warnings.push(err.message), undefined)) : undefined;
      if (!topics.has(r.topic)) warnings.push(`topic ${r.topic} (input of group ${r.group}) does not exist`);
      for (const f of from) edges.push({ id: `${f}->${r.node}:${r.topic}`, from: f, to: r.node, topic: r.topic, dlq: false, group: r.group, lag, points: [] });
    }
    for (const [topic, ws] of writers) {
      if (read.has(topic)) continue;
      const isDlq = dlqTopics.includes(topic);
      const to = ensureTopicNode(isDlq ? 'dlq' : 'topic', topic);
      for (const w of ws) edges.push({ id: `${w}->${to}`, from: w, to, topic, dlq: isDlq, points: [] });
    }
    const size = layout(nodes, edges);
    return { at: now, nodes, edges, dlqTopics, rules: statusRules.text, warnings, announcing: announced.length > 0, ...size };
  }

  async #lag(group: string, topic: string, partitions: number, up: boolean | undefined, now: number): Promise<NonNullable<PipelineEdge['lag']>> {
    const committed = await this.#offsets.committed(group, topic, partitions);
    let records = 0;
    let oldest = now;
    let committedSum = 0;
    let highSum = 0;
    for (let p = 0; p < partitions; p++) {
      const { low, high } = await this.#reader.watermarks(topic, p);
      const from = committed[p] < 0 ? low : Math.max(committed[p], low);
      records += Math.max(0, high - from);
      committedSum += from;
      highSum += high;
      if (high > from) {
        // Lag in seconds: the timestamp of the oldest unconsumed record, read at the committed offset (cached: it never changes).
        const key = `${topic}\u0000${p}\u0000${from}`;
        let ts = this.#timestamps.get(key);
        if (ts === undefined) {
          const [m] = await this.#reader.read(topic, p, from, from + 1, { timeoutMs: 5000 });
          ts = m?.timestamp ?? now;
          if (this.#timestamps.size > 100_000) this.#timestamps.clear();
          this.#timestamps.set(key, ts);
        }
        oldest = Math.min(oldest, ts);
      }
    }
    const seconds = records === 0 ? 0 : Math.max(0, (now - oldest) / 1000);
    const hkey = `${group}\u0000${topic}`;
    const samples = (this.#history.get(hkey) ?? []).filter((s) => now - s.at <= statusRules.window * 2);
    samples.push({ at: now, committed: committedSum, high: highSum });
    this.#history.set(hkey, samples);
    const base = samples.find((s) => now - s.at <= statusRules.window) ?? samples[0];
    const dt = (now - base.at) / 1000;
    const consumePerSec = dt > 0 ? (committedSum - base.committed) / dt : null;
    const inflowPerSec = dt > 0 ? (highSum - base.high) / dt : null;
    const net = consumePerSec !== null && inflowPerSec !== null ? consumePerSec - inflowPerSec : null;
    const drainSeconds = records === 0 ? 0 : net !== null && net > 0 ? records / net : null;
    const covered = now - samples[0].at >= statusRules.window * 0.9;
    const baseLag = base.high - base.committed;
    let status: EdgeStatus = 'ok';
    if (up === false) status = 'stopped';
    else if (records > 0 && covered && committedSum === base.committed) status = 'stalled';
    else if (records > 0 && ((covered && records - baseLag > Math.max(10, (consumePerSec ?? 0) * 5)) || seconds > statusRules.behindSeconds)) status = 'falling behind';
    return { records, seconds, consumePerSec, inflowPerSec, drainSeconds, status };
  }

  async #metrics(id: string, live: AnnouncedInstance[], now: number, warnings: string[]): Promise<PipelineNode['metrics']> {
    const urls = live.map((i) => i.metricsUrl).filter((u): u is string => u !== undefined);
    if (urls.length === 0) return undefined;
    const me = hostname();
    const scraped = await Promise.all(urls.map((u) => scrape(u.replace(`//${me}:`, '//127.0.0.1:')).catch((err: Error) => (warnings.push(`${id}: ${err.message}`), undefined))));
    const ok = scraped.filter((s): s is Scraped => s !== undefined);
    if (ok.length === 0) return undefined;
    const sum = (f: (s: Scraped) => number | undefined): number | undefined => (ok.some((s) => f(s) !== undefined) ? ok.reduce((n, s) => n + (f(s) ?? 0), 0) : undefined);
    const total: Scraped = { at: now, in: sum((s) => s.in) ?? 0, out: sum((s) => s.out) ?? 0, deadLetters: sum((s) => s.deadLetters) ?? 0, retries: sum((s) => s.retries) ?? 0, rebalances: sum((s) => s.rebalances) ?? 0, stateBytes: sum((s) => s.stateBytes), restoreRemaining: sum((s) => s.restoreRemaining) };
    const hist = (this.#scrapes.get(id) ?? []).filter((s) => now - s.at <= 10_000);
    hist.push(total);
    this.#scrapes.set(id, hist);
    const base = hist[0];
    const dt = (now - base.at) / 1000;
    return {
      inPerSec: dt > 0 ? Math.max(0, (total.in - base.in) / dt) : null,
      outPerSec: dt > 0 ? Math.max(0, (total.out - base.out) / dt) : null,
      deadLetters: total.deadLetters,
      retries: total.retries,
      rebalances: total.rebalances,
      stateBytes: total.stateBytes,
      restoreRemaining: total.restoreRemaining,
    };
  }
}

/** Lays the graph out left to right with dagre; returns its size. */
function layout(nodes: PipelineNode[], edges: PipelineEdge[]): { width: number; height: number } {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'LR', nodesep: 30, ranksep: 90, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.id, { width: n.width, height: n.height });
  for (const e of edges) g.setEdge(e.from, e.to, { width: 120, height: 30, labelpos: 'c' }, e.id);
  dagre.layout(g);
  for (const n of nodes) {
    const p = g.node(n.id);
    n.x = p.x;
    n.y = p.y;
  }
  for (const e of edges) e.points = (g.edge({ v: e.from, w: e.to, name: e.id }) as { points: Array<{ x: number; y: number }> }).points;
  const graph = g.graph();
  return { width: graph.width ?? 0, height: graph.height ?? 0 };
}
