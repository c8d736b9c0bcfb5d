import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDuration, SedaError } from '@seda/core';
import { startBroker, type EmbeddedBroker } from '@seda/kafka';
import { loadStage } from '@seda/runtime';
import { runChecks, type Check } from './checks.js';
import { Monitor, type Sample } from './monitor.js';
import { intervalMs, pipeline, readingRate, retentionForecast, topics, type DemoOptions } from './plan.js';
import { BrokerProbe } from './probe.js';
import { isAlive, ProcessGroup, type DemoProcess, type ExitInfo } from './processes.js';
import { readTopics, type ReadBack } from './read-topics.js';
import { largestPartition, printReport, type DemoReport } from './report.js';
import { groundTruth } from './truth.js';
import { createView, type DemoView } from './view.js';

const sedaBin = fileURLToPath(new URL('../../bin.js', import.meta.url));

class Interrupted extends Error {}

/** Sleeps, or rejects with Interrupted as soon as the demo is asked to stop. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Interrupted());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Interrupted());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Waits (polling) for `pred`, bounded, interruptible; returns false on timeout. */
async function until(pred: () => boolean, timeoutMs: number, signal: AbortSignal, everyMs = 200): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) return false;
    await pause(everyMs, signal);
  }
  return true;
}

/** Refuses to run beside a live demo in the same directory; then starts from an empty one. */
function prepareDir(dir: string): void {
  const pidsFile = join(dir, 'pids.json');
  if (existsSync(pidsFile)) {
    let previous: { demo?: number; processes?: Array<{ name: string; pid: number }> } = {};
    try {
      previous = JSON.parse(readFileSync(pidsFile, 'utf8')) as typeof previous;
    } catch {
      // unreadable: a demo killed while writing it; nothing to protect
    }
    const cmdline = (pid: number): string => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return '';
      }
    };
    const live = [previous.demo, ...(previous.processes ?? []).map((p) => p.pid)].filter(
      (pid): pid is number => typeof pid === 'number' && pid !== process.pid && isAlive(pid) && cmdline(pid).includes('seda'),
    );
    if (live.length > 0) {
      throw new SedaError('SEDA_DEMO_BUSY', `another seda demo is running in ${dir} (pids ${live.join(', ')}): stop it first, or give this one its own --dir`);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'logs'), { recursive: true });
}

/** A seeded generator for the choice of what to kill (reproducible with --seed). */
function random(seed: number): () => number {
  let a = (seed ^ 0x9e3779b9) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function exitText(e: ExitInfo): string {
  return e.signal !== null ? e.signal : `code ${String(e.code)}`;
}

/**
 * `seda demo`: the electric-readings pipeline end to end on this machine, then
 * checked against ground truth. Returns the process exit code (0: every check
 * passed; 1: a check failed; 130: interrupted).
 */
export async function runDemo(o: DemoOptions): Promise<number> {
  const started = Date.now();
  prepareDir(o.dir);
  const controller = new AbortController();
  const signal = controller.signal;
  const rate = readingRate(o);
  const expected = Math.round((rate * o.durationMs) / 1000);
  let view: DemoView | undefined;
  let phase = 'starting';
  const say = (message: string): void => (view ? view.event(message) : void process.stdout.write(`${message}\n`));

  let group: ProcessGroup | undefined;
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts > 1) {
      // Second Ctrl-C: everything dies now.
      group?.killAllNow();
      process.stdout.write(`\n${sig} again: killed every process at once\n`);
      process.exit(130);
    }
    say(`${sig}: stopping every process cleanly (${sig === 'SIGINT' ? 'Ctrl-C' : sig} again to kill them at once)`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const forecast = retentionForecast(o);
  say(
    `seda demo: ${o.meters} meters, ${Math.round(rate).toLocaleString('en-US')} readings/s for ${o.durationMs / 1000} s (a day of event time every ${(1440 / o.speedup).toFixed(1)} min), ` +
      `one malformed every ${o.malformedEvery}; ${o.partitions} partitions; audit, billing, consumption-average x${o.instances} and alerts, each its own process${o.killRandom ? '; --kill-random' : ''}`,
  );
  if (forecast.fraction > 0.8) {
    say(`warning: ${forecast.topic} may outgrow the embedded broker's ~5 MiB per partition (about ${Math.round(forecast.fraction * 100)}%): records may be lost to retention; the checks will tell`);
  }

  let broker: EmbeddedBroker | undefined;
  let probe: BrokerProbe | undefined;
  let ticker: NodeJS.Timeout | undefined;
  const kills: DemoReport['kills'] = [];
  const unexpected: string[] = [];
  let checks: Check[] = [];
  let interrupted = false;
  let last: Sample | undefined;
  let topicsRead: Map<string, ReadBack[]> | undefined;
  const allTopics = Object.values(topics);
  try {
    // The embedded broker runs in this process: it cannot outlive the demo.
    broker = await startBroker({ brokers: 3, initialRebalanceDelayMs: 0 });
    for (const t of allTopics) await broker.createTopic(t, o.partitions);
    say(`embedded broker at ${broker.bootstrap}; topics ${allTopics.join(', ')} (${o.partitions} partitions each); logs in ${relative(process.cwd(), join(o.dir, 'logs')) || o.dir}`);
    const windows = (await loadStage('consumption-average')).state?.windows;
    if (windows === undefined || (windows.advance !== undefined && parseDuration(windows.advance) !== parseDuration(windows.size))) {
      throw new SedaError('SEDA_DEMO_OPTIONS', 'the demo checks consumption-average as tumbling windows; its definition has none');
    }
    const windowMs = parseDuration(windows.size);
    const graceMs = windows.grace === undefined ? 0 : parseDuration(windows.grace);

    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SEDA_')) env[k] = v;
    // Each child stops by itself (gracefully) if the demo dies without stopping it.
    env.SEDA_SUPERVISOR_PID = String(process.pid);
    group = new ProcessGroup({
      bin: sedaBin,
      dir: o.dir,
      env,
      events: {
        onEvent: (m) => say(m),
        onStarted: () => group?.writePids(),
        onExit: (proc: DemoProcess, e: ExitInfo) => {
          if (e.expected) {
            if (!group!.stopping && proc.spec.kind === 'stage') say(`${e.name} (pid ${e.pid}) died by ${exitText(e)}; restarting it`);
            return;
          }
          const m = `${e.name} (pid ${e.pid}) exited unexpectedly (${exitText(e)})${group!.stopping ? ' at the stop' : ''}`;
          unexpected.push(m);
          say(`${m}; last log lines in ${join(o.dir, 'logs', `${proc.spec.name}.log`)}`);
        },
      },
    });
    const specs = pipeline(o, broker.bootstrap);
    probe = await BrokerProbe.connect(
      broker.bootstrap,
      specs.filter((s) => s.group !== undefined).map((s) => s.group!),
    );
    const monitor = new Monitor(probe, group.procs, allTopics, o.partitions);
    const order = [...specs.filter((sp) => sp.kind === 'source'), ...specs.filter((sp) => sp.kind === 'stage')];
    view = createView(o.tty, expected, order.map((sp) => sp.name));
    let sampling = false;
    let quiet = 0;
    let retentionReported = false;
    ticker = setInterval(() => {
      if (sampling) return;
      sampling = true;
      monitor
        .sample()
        .then((s) => {
          last = s;
          quiet = s.lagZero && s.settled ? quiet + 1 : 0;
          view!.update(s, phase, kills.length);
          if (s.retentionLoss.length > 0 && !retentionReported) {
            retentionReported = true;
            say(`RETENTION LOSS: the broker deleted the oldest records of ${s.retentionLoss.map((l) => `${l.topic}/${l.partition}`).join(', ')} (~5 MiB per partition)`);
          }
        })
        .catch((err: unknown) => say(`sampling failed: ${(err as Error).message}`))
        .finally(() => (sampling = false));
    }, 1000);

    phase = 'starting stages';
    const stages = specs.filter((s) => s.kind === 'stage').map((s) => group!.start(s));
    const ready = await until(() => stages.every((p) => p.isSettled()), 60_000, signal);
    if (!ready) {
      const stuck = stages.filter((p) => !p.isSettled()).map((p) => `${p.spec.name}: ${p.tail.slice(-3).join(' / ')}`);
      throw new SedaError('SEDA_DEMO_PROCESS', `stages did not start within 60 s: ${stuck.join('; ')}`);
    }
    say(`stages running (${stages.map((p) => `${p.spec.name} pid ${p.consumerPids().join('+')}`).join(', ')}); starting the source`);

    phase = 'producing';
    const source = group.start(specs.find((s) => s.kind === 'source')!);
    const sourceExited = new Promise<void>((resolve) => source.child!.once('exit', () => resolve()));
    let sourceDone = false;
    void sourceExited.then(() => (sourceDone = true));
    const killer = o.killRandom
      ? (async () => {
          const rand = random(o.seed);
          while (!sourceDone) {
            await pause(o.killEveryMs * (0.5 + rand()), signal);
            if (sourceDone) break;
            const targets = stages.flatMap((p) => p.consumerPids().filter(isAlive).map((pid) => ({ p, pid })));
            if (targets.length === 0) continue;
            const { p, pid } = targets[Math.floor(rand() * targets.length)];
            const name = p.spec.instances > 1 ? `${p.spec.name}#${[...p.workers].find(([, w]) => w === pid)?.[0] ?? '?'}` : p.spec.name;
            kills.push({ name, pid, atMs: Date.now() - started });
            say(`kill-random: SIGKILL ${name} (pid ${pid})`);
            group!.kill(p, pid);
          }
        })()
      : Promise.resolve();
    const sourceBound = o.durationMs + 120_000;
    await Promise.race([sourceExited, pause(sourceBound, signal)]);
    if (!sourceDone) throw new SedaError('SEDA_DEMO_PROCESS', `the source did not finish within ${sourceBound / 1000} s`);
    await killer;
    const srcExit = source.exits.at(-1);
    say(
      source.finished
        ? `source done: ${String(source.finished.produced)} readings produced, ${String(source.finished.acknowledged)} acknowledged; draining`
        : `source exited (${srcExit ? exitText(srcExit) : '?'}) without finishing; draining`,
    );

    phase = 'draining';
    const drainStart = Date.now();
    quiet = 0;
    // Drained: every group at lag 0 with every consumer assigned, on 3 samples in a row.
    const drained = await until(() => quiet >= 3, o.drainTimeoutMs, signal);
    const lagging = last?.stages.filter((s) => s.kind === 'stage' && (s.lag > 0 || s.status !== 'running')) ?? [];
    const drainDetail = drained
      ? `every group consumed and committed all of its input (drained in ${((Date.now() - drainStart) / 1000).toFixed(1)} s after the source ended)`
      : `not drained after ${o.drainTimeoutMs / 1000} s: ${lagging.map((s) => `${s.name} lag ${s.lag} (${s.status})`).join(', ') || 'consumers not settled'}`;
    if (!drained) say(drainDetail);

    phase = 'stopping';
    say('stopping every stage with SIGTERM');
    const forced = await group.stopAll(60_000);
    const stopExits = group.procs
      .filter((p) => p.spec.kind === 'stage')
      .map((p) => ({ p, exit: p.exits.at(-1) }))
      .filter(({ exit }) => exit === undefined || exit.code !== 0)
      .map(({ p, exit }) => `${p.spec.name} exited with ${exit ? exitText(exit) : 'nothing'} at the stop`);

    phase = 'checking';
    say('reading every topic back and checking it against ground truth');
    last = await monitor.sample();
    view.update(last, phase, kills.length);
    topicsRead = await readTopics(broker.bootstrap, probe, allTopics, o.partitions);
    const truth = groundTruth(topicsRead.get(topics.readings)!, o.tariff, windowMs);
    const restarted = kills.every((k) => {
      const proc = group!.procs.find((p) => k.name.startsWith(p.spec.name))!;
      const i = proc.history.findIndex((h) => h.pid === k.pid);
      return i >= 0 && proc.history.slice(i + 1).some((h) => h.name === proc.history[i].name);
    });
    checks = runChecks(truth, topicsRead, {
      sourceExit: srcExit?.code,
      sourceProduced: source.finished?.produced as number | undefined,
      sourceAcknowledged: source.finished?.acknowledged as number | undefined,
      malformedEvery: o.malformedEvery,
      tariff: o.tariff,
      threshold: o.threshold,
      windowMs,
      graceMs,
      drained,
      drainDetail,
      unexpectedExits: [...unexpected, ...stopExits],
      forcedKills: forced,
      retentionLoss: last.retentionLoss,
      kills: o.killRandom
        ? { count: kills.length, restarted, detail: `${kills.length} SIGKILLs (${kills.map((k) => k.name).join(', ') || 'none'})${restarted ? ', each process restarted' : ', NOT every killed process came back'}` }
        : undefined,
    });
  } catch (err) {
    if (!(err instanceof Interrupted)) {
      say(`error: ${(err as Error).message}`);
      checks.push({ name: 'demo ran to the end', pass: false, detail: (err as Error).message });
    } else {
      interrupted = true;
    }
    if (group !== undefined) {
      // Past the stages' own graceful-stop bound (30 s), so a slow drain is not cut short.
      const forced = await group.stopAll(40_000);
      if (forced.length > 0) say(`killed ${forced.join(', ')} (did not stop within the bound)`);
    }
  } finally {
    clearInterval(ticker);
    view?.stop();
    await probe?.close().catch(() => {});
    await broker?.stop(3000).catch(() => {});
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const stats = last?.stages ?? [];
  const source = group?.procs.find((p) => p.spec.kind === 'source');
  const report: DemoReport = {
    pass: !interrupted && checks.length > 0 && checks.every((c) => c.pass),
    interrupted,
    durationMs: Date.now() - started,
    readings: {
      produced: source?.finished?.produced as number | undefined,
      malformed: o.malformedEvery > 0 && typeof source?.finished?.produced === 'number' ? Math.floor(source.finished.produced / o.malformedEvery) : 0,
      meters: o.meters,
      eventHours: (((source?.finished?.produced as number | undefined) ?? 0) / o.meters) * (intervalMs / 3_600_000),
      start: new Date(o.startMs).toISOString(),
    },
    stages: stats.map((s) => {
      const proc = group?.procs.find((p) => p.spec.name === s.name);
      return { name: s.name, in: s.in, out: s.out, dlq: s.dlq, restarts: s.restarts, exitCode: proc?.exits.at(-1)?.code, stateBytes: s.stateBytes };
    }),
    kills,
    largestPartition: topicsRead ? largestPartition(topicsRead) : undefined,
    checks,
    logs: relative(process.cwd(), join(o.dir, 'logs')) || join(o.dir, 'logs'),
  };
  printReport(report, last, o.reportFile);
  return interrupted ? 130 : report.pass ? 0 : 1;
}
