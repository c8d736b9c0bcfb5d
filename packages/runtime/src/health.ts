import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { silentLogger, type Logger } from '@seda/core';
import { countBrokersUp } from './metrics.js';
import type { KafkaStats, RunningStage } from './running-stage.js';

/** The answer of a health check: overall `ok` and each check's finding. */
export interface HealthReport {
  ok: boolean;
  status: string;
  checks: { [name: string]: { ok: boolean; detail?: string | number } };
}

/** Options of {@link StageHealth}. */
export interface StageHealthOptions {
  /** Liveness fails when the event loop was blocked longer than this in the last window. Default 5000 ms. */
  maxEventLoopDelayMs?: number;
  /** Length of the window the event loop delay is judged over. Default 5000 ms. */
  windowMs?: number;
  log?: Logger;
}

/**
 * Liveness and readiness of a stage instance.
 *
 * Live: the process answers and its event loop was not blocked longer than
 * `maxEventLoopDelayMs` in the last window. Ready: the stage is started and
 * joined its group (it has an assignment, possibly empty while it waits as
 * a standby), it is not stopping or failed, and its consumer is connected to
 * Kafka with a working group coordinator (per librdkafka's statistics; with
 * `statistics.interval.ms=0` that check is skipped).
 */
export class StageHealth {
  readonly #maxDelayMs: number;
  readonly #histogram: IntervalHistogram;
  readonly #window: NodeJS.Timeout;
  readonly #log: Logger;
  #lastWindowMaxMs = 0;
  #running: RunningStage | undefined;
  #joined = false;
  #stopping = false;
  #failed: Error | undefined;
  #kafka: { ok: boolean; detail: string } | undefined;
  #wasReady = false;
  #detach: (() => void) | undefined;

  constructor(options: StageHealthOptions = {}) {
    this.#maxDelayMs = options.maxEventLoopDelayMs ?? 5000;
    this.#log = options.log ?? silentLogger;
    this.#histogram = monitorEventLoopDelay({ resolution: 20 });
    this.#histogram.enable();
    this.#window = setInterval(() => {
      this.#lastWindowMaxMs = this.#histogram.max / 1e6;
      this.#histogram.reset();
    }, options.windowMs ?? 5000);
    this.#window.unref();
  }

  /** Follows a running stage: assignment, statistics, stop and failure. */
  attach(running: RunningStage): void {
    this.#running = running;
    const onAssigned = (): void => {
      this.#joined = true;
      this.#noteChange();
    };
    const onStopping = (): void => {
      this.#stopping = true;
      this.#noteChange();
    };
    const onFailed = (err: Error): void => {
      this.#failed = err;
      this.#noteChange();
    };
    const onStats = ({ client, stats }: KafkaStats): void => {
      if (client !== 'consumer') return;
      const up = countBrokersUp(stats);
      const coordinator = String(stats.cgrp?.state ?? 'unknown');
      this.#kafka = { ok: up > 0 && coordinator === 'up', detail: `${up} broker${up === 1 ? '' : 's'} up, group coordinator ${coordinator}` };
      this.#noteChange();
    };
    running.on('assigned', onAssigned);
    running.on('stopping', onStopping);
    running.on('failed', onFailed);
    running.on('stats', onStats);
    this.#detach = () => {
      running.off('assigned', onAssigned);
      running.off('stopping', onStopping);
      running.off('failed', onFailed);
      running.off('stats', onStats);
    };
  }

  /** Marks the instance as stopping (not ready) before a stage is attached, e.g. on a signal during start. */
  setStopping(): void {
    this.#stopping = true;
  }

  /** Liveness: the process is alive and its event loop not stalled. */
  liveness(): HealthReport {
    const delayMs = Math.round(Math.max(this.#lastWindowMaxMs, this.#histogram.max / 1e6));
    const ok = delayMs <= this.#maxDelayMs;
    return { ok, status: ok ? 'alive' : 'event loop stalled', checks: { eventLoop: { ok, detail: `max delay ${delayMs} ms (limit ${this.#maxDelayMs} ms)` } } };
  }

  /** Readiness: started, joined, connected, neither stopping nor failed. */
  readiness(): HealthReport {
    const checks: HealthReport['checks'] = {
      started: { ok: this.#running !== undefined, detail: this.#running ? 'running' : 'starting (connecting to Kafka)' },
      group: { ok: this.#joined, detail: this.#joined ? `${this.#running?.assignment().length ?? 0} partitions assigned` : 'waiting for the first assignment' },
      kafka: this.#kafka ?? { ok: true, detail: 'no statistics yet' },
      stopping: { ok: !this.#stopping, detail: this.#stopping ? 'stopping' : 'no' },
      failed: { ok: this.#failed === undefined, detail: this.#failed?.message ?? 'no' },
    };
    const failing = Object.entries(checks).filter(([, c]) => !c.ok);
    const ok = failing.length === 0;
    return { ok, status: ok ? 'ready' : `not ready: ${failing.map(([name, c]) => `${name} (${c.detail})`).join(', ')}`, checks };
  }

  #noteChange(): void {
    const ready = this.readiness();
    if (ready.ok !== this.#wasReady) {
      this.#wasReady = ready.ok;
      if (ready.ok) this.#log.info('ready');
      else this.#log.warn({ status: ready.status }, 'not ready');
    }
  }

  /** Stops the event loop monitor and detaches from the stage. */
  close(): void {
    clearInterval(this.#window);
    this.#histogram.disable();
    this.#detach?.();
  }
}
