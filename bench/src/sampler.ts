import os from 'node:os';
import type { BenchBroker } from './broker/bench-broker.js';
import { busyShare, machineCpuTicks, type CpuTicks } from './machine.js';
import type { CoreUse } from './measurement.js';
import { nowMicros } from './payload.js';
import { interpolate } from './stats.js';

interface HarnessSample {
  t: number;
  harnessCpu: number;
  brokerCpu?: number;
  ticks?: CpuTicks;
}

/**
 * Samples the bench's own CPU (load generator and observer), the broker's
 * and the whole machine's every 250 ms, calling `onTick` each time; `cores`
 * interpolates them over a measured window.
 */
export class Sampler {
  readonly samples: HarnessSample[] = [];
  readonly #timer: NodeJS.Timeout;
  #busy = false;

  constructor(broker: BenchBroker, onTick: () => void) {
    const tick = (): void => {
      onTick();
      if (this.#busy) return;
      this.#busy = true;
      const t = nowMicros();
      const cpu = process.cpuUsage();
      const ticks = machineCpuTicks();
      broker
        .usage()
        .then((u) => this.samples.push({ t, harnessCpu: cpu.user + cpu.system, brokerCpu: u.cpuMicros, ticks }))
        .catch(() => this.samples.push({ t, harnessCpu: cpu.user + cpu.system, ticks }))
        .finally(() => (this.#busy = false));
    };
    tick();
    this.#timer = setInterval(tick, 250);
  }

  /** Cores used on average between `from` and `to` (µs). */
  cores(from: number, to: number): Omit<CoreUse, 'workers'> {
    const span = to - from;
    const at = (pick: (s: HarnessSample) => number | undefined): Array<[number, number]> =>
      this.samples.filter((s) => pick(s) !== undefined).map((s) => [s.t, pick(s)!] as [number, number]);
    const delta = (series: Array<[number, number]>): number | undefined => {
      const a = interpolate(series, from);
      const b = interpolate(series, to);
      return a === undefined || b === undefined ? undefined : (b - a) / span;
    };
    const busy = at((s) => s.ticks?.busy);
    const total = at((s) => s.ticks?.total);
    const b0 = interpolate(busy, from);
    const b1 = interpolate(busy, to);
    const t0 = interpolate(total, from);
    const t1 = interpolate(total, to);
    const share = b0 === undefined || b1 === undefined || t0 === undefined || t1 === undefined ? undefined : busyShare({ busy: b0, total: t0 }, { busy: b1, total: t1 });
    return { harness: delta(at((s) => s.harnessCpu)), broker: delta(at((s) => s.brokerCpu)), machine: share === undefined ? undefined : share * os.availableParallelism() };
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

