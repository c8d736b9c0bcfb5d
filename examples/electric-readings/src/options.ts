import { resolve } from 'node:path';
import { parseDuration, parseTime, SedaError } from '@seda/core';
import type { DemoOptions } from './plan.js';

/** The flags of `seda demo` as commander gives them (strings, as typed; defaults filled in). */
export interface DemoFlags {
  duration: string;
  meters: string;
  speedup: string;
  start: string;
  seed: string;
  malformedEvery: string;
  partitions: string;
  instances: string;
  killRandom?: boolean;
  killEvery: string;
  chaos?: boolean;
  chaosEvery: string;
  drainTimeout: string;
  threshold: string;
  dir: string;
  report?: string;
  plain?: boolean;
  logLevel: string;
  ui?: boolean;
  uiPort: string;
}

/** Resolves and checks the flags; every problem in one error. */
export function demoOptions(flags: DemoFlags): DemoOptions {
  const problems: string[] = [];
  const num = (flag: string, v: string, min: number, integer = false): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
      problems.push(`${flag} must be a ${integer ? 'whole number' : 'number'} >= ${min} (got "${v}")`);
      return min;
    }
    return n;
  };
  const dur = (flag: string, v: string, minMs: number): number => {
    try {
      const ms = parseDuration(v, flag);
      if (ms >= minMs) return ms;
    } catch {
      // reported below
    }
    problems.push(`${flag} must be a duration of at least ${minMs / 1000} s, e.g. 30s (got "${v}")`);
    return minMs;
  };
  let startMs = 0;
  try {
    startMs = parseTime(flags.start, '--start');
  } catch {
    problems.push(`--start must be an ISO-8601 time with a zone, e.g. 2026-01-05T00:00:00Z (got "${flags.start}")`);
  }
  const o: DemoOptions = {
    durationMs: dur('--duration', flags.duration, 1000),
    meters: num('--meters', flags.meters, 1, true),
    speedup: num('--speedup', flags.speedup, 1),
    startMs,
    seed: num('--seed', flags.seed, 0, true),
    malformedEvery: num('--malformed-every', flags.malformedEvery, 2, true),
    partitions: num('--partitions', flags.partitions, 1, true),
    instances: num('--instances', flags.instances, 1, true),
    killRandom: flags.killRandom === true,
    killEveryMs: dur('--kill-every', flags.killEvery, 500),
    chaos: flags.chaos === true,
    chaosEveryMs: dur('--chaos-every', flags.chaosEvery, 200),
    drainTimeoutMs: dur('--drain-timeout', flags.drainTimeout, 1000),
    dir: resolve(flags.dir),
    reportFile: flags.report === undefined ? undefined : resolve(flags.report),
    tty: flags.plain !== true && process.stdout.isTTY === true,
    tariff: { peakStart: '07:00', peakEnd: '23:00', peakPrice: 0.3, offPeakPrice: 0.15 },
    threshold: num('--threshold', flags.threshold, 0),
    logLevel: flags.logLevel,
    ...(flags.ui === true ? { uiPort: num('--ui-port', flags.uiPort, 0, true) } : {}),
  };
  if (o.instances > o.partitions) problems.push(`--instances ${o.instances} is more than --partitions ${o.partitions}: the extra instances would idle`);
  if (problems.length > 0) throw new SedaError('SEDA_DEMO_OPTIONS', `seda demo: ${problems.join('; ')}`);
  return o;
}
