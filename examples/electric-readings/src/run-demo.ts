import { join, relative } from 'node:path';
import { isSessionSpec, parseDuration, SedaError } from '@seda/core';
import { OffsetProbe, serveControl, startBroker, type ControlServer, type EmbeddedBroker } from '@seda/kafka';
import { loadStage } from '@seda/runtime';
import { runChecks, type Check } from './checks.js';
import { Monitor } from './monitor.js';
import { Sampler } from './sampler.js';
import { pipeline, readingRate, retentionForecast, topics, type DemoOptions } from './plan.js';
import type { DemoProcess, ExitInfo } from './demo-process.js';
import { everyKillRestarted, killRandomly, type Kill } from './kill-random.js';
import { faultSummary, injectChaos, type Fault } from './chaos.js';
import { ProcessGroup } from './process-group.js';
import { readTopics, type ReadBack } from './read-topics.js';
import { demoReport, printReport } from './report.js';
import { groundTruth } from './truth.js';
import { prepareRunDir } from './run-dir.js';
import { changeAppliesAt, tariffSchedule, TariffWriter } from './tariffs.js';
import { createView, type DemoView } from './view.js';
import { Interrupted, pause, until } from './wait.js';
import { startDemoUi, type DemoUi } from './ui.js';

/** The monitor's probe of the demo's broker; a failed connect is the demo's broker error. */
async function connectProbe(brokers: string, groups: string[]): Promise<OffsetProbe> {
  try {
    return await OffsetProbe.connect(brokers, { groups });
  } catch (err) {
    const reason = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
    throw new SedaError('SEDA_DEMO_BROKER', `cannot reach the demo's broker at ${brokers}: ${reason}`, { cause: err });
  }
}

function exitText(e: ExitInfo): string {
  return e.signal !== null ? e.signal : `code ${String(e.code)}`;
}

/**
 * `seda demo`: the electric-readings pipeline end to end on this machine, then
 * checked against ground truth. Returns the process exit code (0: every check
 * passed; 1: a check failed; 130: interrupted). `sedaBin` is the `seda` script
 * each stage runs with (`seda run <stage>`).
 *
 * Long on purpose: its phases (start, produce, drain, stop, check) share the
 * broker, the processes and the Ctrl-C handling, and one `finally` undoes
 * whatever was started, read top to bottom in the order it happens. What
 * stands alone is in its own file: sampling (sampler.ts), kills and faults
 * (kill-random.ts, chaos.ts), the checks (checks.ts), the report (report.ts).
 */
export async function runDemo(o: DemoOptions, sedaBin: string): Promise<number> {
  const started = Date.now();
  prepareRunDir(o.dir);
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
      `one malformed every ${o.malformedEvery}; ${o.partitions} partitions; audit, billing, consumption-average x${o.instances} and alerts, each its own process${o.killRandom ? '; --kill-random' : ''}${o.chaos ? '; --chaos' : ''}`,
  );
  if (forecast.fraction > 0.8) {
    say(`warning: ${forecast.topic} may outgrow the embedded broker's ~5 MiB per partition (about ${Math.round(forecast.fraction * 100)}%): records may be lost to retention; the checks will tell`);
  }

  let broker: EmbeddedBroker | undefined;
  let control: ControlServer | undefined;
  let ui: DemoUi | undefined;
  let probe: OffsetProbe | undefined;
  let sampler: Sampler | undefined;
  const kills: Kill[] = [];
  const faults: Fault[] = [];
  const unexpected: string[] = [];
  let checks: Check[] = [];
  let interrupted = false;
  let topicsRead: Map<string, ReadBack[]> | undefined;
  let tariffWriter: TariffWriter | undefined;
  const allTopics = Object.values(topics);
  try {
    // The embedded broker runs in this process: it cannot outlive the demo.
    broker = await startBroker({ brokers: 3, initialRebalanceDelayMs: 0 });
    for (const t of allTopics) await broker.createTopic(t, o.partitions);
    // Stateful stages create their changelog topics through it, as with `seda broker` (it announces the channel on the broker).
    control = await serveControl(broker);
    if (o.uiPort !== undefined) {
      ui = await startDemoUi(broker.bootstrap, o.uiPort);
      say(`pipeline page at ${ui.url}`);
    }
    say(`embedded broker at ${broker.bootstrap}; topics ${allTopics.join(', ')} (${o.partitions} partitions each); logs in ${relative(process.cwd(), join(o.dir, 'logs')) || o.dir}`);
    const windows = (await loadStage('consumption-average')).state?.windows;
    if (windows === undefined || isSessionSpec(windows) || (windows.advance !== undefined && parseDuration(windows.advance) !== parseDuration(windows.size))) {
      throw new SedaError('SEDA_DEMO_OPTIONS', 'the demo checks consumption-average\'s outputs as tumbling windows, and its definition declares none');
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
          // `seda run` prints its one-line reason as "error: ..." on stderr.
          const reason = proc.tail.filter((l) => l.startsWith('error: ')).at(-1);
          const m = `${e.name} (pid ${e.pid}) exited unexpectedly (${exitText(e)})${group!.stopping ? ' at the stop' : ''}${reason ? `: ${reason.slice(7)}` : ''}`;
          unexpected.push(m);
          say(`${m}; its log: ${join(o.dir, 'logs', `${proc.spec.name}.log`)}`);
        },
      },
    });
    const specs = pipeline(o, broker.bootstrap);
    probe = await connectProbe(
      broker.bootstrap,
      specs.filter((s) => s.group !== undefined).map((s) => s.group!),
    );
    const monitor = new Monitor(probe, group.procs, allTopics, o.partitions);
    const order = [...specs.filter((sp) => sp.kind === 'source'), ...specs.filter((sp) => sp.kind === 'stage')];
    view = createView(o.tty, expected, order.map((sp) => sp.name));
    sampler = new Sampler(monitor, say, (sample) => view!.update(sample, phase, kills.length));
    sampler.start();

    phase = 'starting stages';
    const stages = specs.filter((s) => s.kind === 'stage').map((s) => group!.start(s));
    const ready = await until(() => stages.every((p) => p.isSettled()), 60_000, signal);
    if (!ready) {
      const stuck = stages.filter((p) => !p.isSettled()).map((p) => `${p.spec.name}: ${p.tail.slice(-3).join(' / ')}`);
      throw new SedaError('SEDA_DEMO_PROCESS', `stages did not start within 60 s: ${stuck.join('; ')}`);
    }
    say(`stages running (${stages.map((p) => `${p.spec.name} pid ${p.consumerPids().join('+')}`).join(', ')}); starting the source`);

    // The tariffs table billing joins: flat prices for some meters stamped now, and changes stamped with
    // the time they apply from (mid-run), both written before the source starts: the broker holds every
    // change before any reading it applies to exists, whatever faults --chaos injects later (written
    // mid-run, a change was once acknowledged 9 s after its time under --chaos, which no join can order).
    const schedule = tariffSchedule(o.meters);
    tariffWriter = await TariffWriter.connect(broker.bootstrap);
    await tariffWriter.write(schedule.initial, Date.now());
    const changeAt = Date.now() + Math.round(o.durationMs * changeAppliesAt);
    const changeAckedAt = await tariffWriter.write(schedule.changes, changeAt);
    say(`tariffs: ${schedule.initial.length} meters on a flat price now; ${schedule.changes.length} changes from ${new Date(changeAt).toISOString()} on (${((changeAt - changeAckedAt) / 1000).toFixed(1)} s ahead)`);

    phase = 'producing';
    const source = group.start(specs.find((s) => s.kind === 'source')!);
    const sourceExited = new Promise<void>((resolve) => source.child!.once('exit', () => resolve()));
    let sourceDone = false;
    void sourceExited.then(() => (sourceDone = true));
    // What --kill-random and --chaos share: both run until the source is done.
    const whileProducing = { seed: o.seed, signal, done: () => sourceDone, started };
    const killer = o.killRandom
      ? killRandomly({
          ...whileProducing,
          group,
          stages,
          everyMs: o.killEveryMs,
          onKill: (k) => {
            kills.push(k);
            say(`kill-random: SIGKILL ${k.name} (pid ${k.pid})`);
          },
        })
      : Promise.resolve();
    const chaos = o.chaos
      ? injectChaos({
          ...whileProducing,
          broker,
          topics: allTopics,
          partitions: o.partitions,
          everyMs: o.chaosEveryMs,
          onFault: (f) => {
            faults.push(f);
            say(`chaos: ${f.detail}`);
          },
        })
      : Promise.resolve();
    const sourceBound = o.durationMs + 120_000;
    await Promise.race([sourceExited, pause(sourceBound, signal)]);
    if (!sourceDone) throw new SedaError('SEDA_DEMO_PROCESS', `the source did not finish within ${sourceBound / 1000} s`);
    await killer;
    await chaos;
    const srcExit = source.exits.at(-1);
    say(
      source.finished
        ? `source done: ${String(source.finished.produced)} readings produced, ${String(source.finished.acknowledged)} acknowledged; draining`
        : `source exited (${srcExit ? exitText(srcExit) : '?'}) without finishing; draining`,
    );

    phase = 'draining';
    const drainStart = Date.now();
    sampler.quiet = 0;
    // Drained: every group at lag 0 with every consumer assigned, on 3 samples in a row.
    const drained = await until(() => sampler!.quiet >= 3, o.drainTimeoutMs, signal);
    const lagging = sampler.last?.stages.filter((s) => s.kind === 'stage' && (s.lag > 0 || s.status !== 'running')) ?? [];
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
    const last = await sampler.sampleNow();
    view.update(last, phase, kills.length);
    topicsRead = await readTopics(broker.bootstrap, allTopics);
    const truth = groundTruth(topicsRead.get(topics.readings)!, o.tariff, windowMs, topicsRead.get(topics.tariffs));
    const restarted = everyKillRestarted(kills, group.procs);
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
      tariffs: { initial: schedule.initial.length, changes: schedule.changes.length, changeAt, changeAckedAt },
      chaos: o.chaos ? { count: faults.length, detail: `${faults.length} faults while the source ran (${faultSummary(faults) || 'none'}), every one undone` } : undefined,
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
    sampler?.stop();
    view?.stop();
    await tariffWriter?.close().catch(() => {});
    await probe?.close().catch(() => {});
    await control?.close().catch(() => {});
    if (ui === undefined || interrupted) {
      await ui?.close().catch(() => {});
      await broker?.stop(3000).catch(() => {});
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const last = sampler?.last;
  const report = demoReport({ options: o, started, interrupted, checks, last, procs: group?.procs ?? [], kills, faults, topicsRead });
  printReport(report, last, o.reportFile);
  if (ui !== undefined && !interrupted) {
    // --ui: the page stays up after the checks, over the same broker, until Ctrl-C.
    await ui.holdUntilSignal((m) => void process.stdout.write(`${m}\n`));
    await broker?.stop(3000).catch(() => {});
  }
  return interrupted ? 130 : report.pass ? 0 : 1;
}
