import type { ReadBack } from './read-topics.js';
import { close, type DemoTariff, type Truth } from './truth.js';

/** The verdict of one end-of-run check. */
export interface Check {
  name: string;
  pass: boolean;
  /** One line: what was verified, with figures, or what is wrong. */
  detail: string;
  /** Topics the check reads. */
  topics?: string[];
}

/** Facts of the run the checks need beside the topics. */
export interface RunFacts {
  /** The source's exit code and its 'source finished' figures. */
  sourceExit: number | null | undefined;
  sourceProduced: number | undefined;
  sourceAcknowledged: number | undefined;
  malformedEvery: number;
  tariff: DemoTariff;
  threshold: number;
  windowMs: number;
  graceMs: number;
  /** Did every group reach lag 0 before the stop? */
  drained: boolean;
  drainDetail: string;
  /** Exits during the run the demo did not cause, and exits at the stop that were not code 0. */
  unexpectedExits: string[];
  forcedKills: string[];
  retentionLoss: Array<{ topic: string; partition: number; low: number }>;
  kills?: { count: number; restarted: boolean; detail: string };
  /** `--chaos`: the faults injected into the broker while the source ran. */
  chaos?: { count: number; detail: string };
  /** The tariffs written (tariffs.ts): how many before the source and mid-run, when the change applies from and when the broker acknowledged it (epoch ms). */
  tariffs?: { initial: number; changes: number; changeAt: number; changeAckedAt: number };
}

const parse = (r: ReadBack): any => (r.value === null ? null : JSON.parse(r.value));
const first = (xs: string[], n = 3): string => xs.slice(0, n).join('; ') + (xs.length > n ? `; and ${xs.length - n} more` : '');

function check(name: string, problems: string[], ok: string, topics?: string[]): Check {
  return problems.length === 0 ? { name, pass: true, detail: ok, topics } : { name, pass: false, detail: first(problems), topics };
}

/** Every input offset audited exactly once (after deduplicating at-least-once replays), faithfully. */
function auditCheck(truth: Truth, readings: Map<string, ReadBack>, trail: ReadBack[]): Check {
  const problems: string[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  for (const r of trail) {
    const e = parse(r) as { topic: string; partition: number; offset: number; meter: string; reading: unknown };
    const id = `${e.partition}/${e.offset}`;
    if (seen.has(id)) {
      duplicates++;
      continue;
    }
    seen.add(id);
    const src = readings.get(id);
    if (src === undefined) problems.push(`audit entry for ${id} names no reading`);
    else if (truth.malformed.has(id)) problems.push(`malformed reading ${id} was audited instead of dead-lettered`);
    else if (e.topic !== 'electric-readings' || e.meter !== src.key || JSON.stringify(e.reading) !== src.value) problems.push(`audit entry ${id} differs from the reading`);
  }
  const missing = truth.good.filter((g) => !seen.has(`${g.partition}/${g.offset}`));
  if (missing.length > 0) problems.push(`${missing.length} readings never audited (e.g. ${missing[0].partition}/${missing[0].offset})`);
  return check(
    'audit trail: every reading exactly once by offset',
    problems,
    `${seen.size} of ${truth.good.length} valid readings audited, each once by source offset (${duplicates} at-least-once duplicates on audit-log, deduplicated)`,
    ['electric-readings', 'audit-log'],
  );
}

/** A stage's dead letters are exactly the malformed readings, each with its reason (`stage`: the name its dead letters carry). */
function dlqCheck(name: string, stage: string, truth: Truth, dlq: ReadBack[]): Check {
  const problems: string[] = [];
  const got = new Map<string, string>();
  for (const r of dlq) {
    const h = r.headers;
    const id = `${h['seda.dlq.partition']}/${h['seda.dlq.offset']}`;
    if (h['seda.dlq.stage'] !== stage) problems.push(`dead letter ${id} names stage "${h['seda.dlq.stage']}"`);
    got.set(id, h['seda.dlq.code']);
  }
  for (const [id, code] of truth.malformed) {
    const g = got.get(id);
    if (g === undefined) problems.push(`malformed reading ${id} (${code}) not dead-lettered`);
    else if (g !== code) problems.push(`dead letter ${id} has code ${g}, expected ${code}`);
  }
  for (const id of got.keys()) if (!truth.malformed.has(id)) problems.push(`valid reading ${id} was dead-lettered (${got.get(id)})`);
  const codes = new Map<string, number>();
  for (const c of truth.malformed.values()) codes.set(c, (codes.get(c) ?? 0) + 1);
  return check(
    `${name} DLQ: the malformed readings, each with its reason`,
    problems,
    `${got.size} dead letters = the ${truth.malformed.size} malformed readings (${[...codes].map(([c, n]) => `${c.replace('SEDA_READING_', '')} ${n}`).join(', ')})`,
    ['electric-readings', `${name}.dlq`],
  );
}

/** What is wrong with the tariffs table as written: records missing, off their meter's partition, the change late or never applied. */
function tariffProblems(truth: Truth, tariffs: ReadBack[], facts: RunFacts): string[] {
  const t = truth.tariffs;
  const w = facts.tariffs;
  if (w === undefined) return [];
  const problems = [...t.misplaced.map((m) => `tariff of ${m} (not co-partitioned: the join cannot see it)`)];
  const copies = facts.chaos ? retryCopies(tariffs) : 0;
  if (t.records - copies !== w.initial + w.changes) problems.push(`tariffs holds ${t.records} records${copies > 0 ? ` (${copies} identical copies)` : ''}, the demo wrote ${w.initial + w.changes}`);
  if (w.changeAckedAt > w.changeAt) {
    problems.push(
      `the tariff change was acknowledged ${w.changeAckedAt - w.changeAt} ms after the time it applies from: readings stamped in between may have been billed at the old prices (docs/tables.md: where the ordering does not hold)`,
    );
  }
  if (w.changes > 0 && t.changes === 0) problems.push(`no tariff change applied: no reading stamped at or after ${new Date(w.changeAt).toISOString()}`);
  return problems;
}

function billingCheck(truth: Truth, bills: ReadBack[], tariffs: ReadBack[], facts: RunFacts): Check {
  const problems = tariffProblems(truth, tariffs, facts);
  const latest = new Map<string, { readings: number; kwh: number; peakKwh: number; cost: number }>();
  for (const r of bills) {
    const b = parse(r) as { meter: string; readings: number; kwh: number; peakKwh: number; cost: number };
    const prev = latest.get(b.meter);
    if (prev === undefined || b.readings > prev.readings) latest.set(b.meter, b);
    else if (b.readings === prev.readings && !(close(b.cost, prev.cost) && close(b.kwh, prev.kwh))) problems.push(`meter ${b.meter}: two different bills after ${b.readings} readings`);
  }
  let total = 0;
  for (const [meter, want] of truth.bills) {
    total += want.cost;
    const got = latest.get(meter);
    if (got === undefined) problems.push(`meter ${meter}: no bill`);
    else if (got.readings !== want.readings) problems.push(`meter ${meter}: billed ${got.readings} readings, expected ${want.readings}`);
    else if (!close(got.kwh, want.kwh) || !close(got.cost, want.cost) || !close(got.peakKwh, want.peakKwh)) {
      problems.push(`meter ${meter}: ${got.kwh} kWh ${got.cost} cost, expected ${want.kwh} kWh ${want.cost}`);
    }
  }
  for (const meter of latest.keys()) if (!truth.bills.has(meter)) problems.push(`bill for unknown meter ${meter}`);
  const t = truth.tariffs;
  return check(
    'billing: totals = sum of readings x tariff',
    problems,
    `${truth.bills.size} meters' totals = sum of readings x tariff (${truth.good.length} readings, total ${total.toFixed(2)}); ` +
      `tariffs table joined by record timestamp: ${t.before} tariffs before the first readings, ${t.changes} changes mid-run applied from their timestamp on ` +
      `(${t.changedReadings} readings billed after their meter's change), ${t.flatReadings} readings at a flat price from the table, the rest at the time-of-day tariff`,
    ['electric-readings', 'tariffs', 'bills'],
  );
}

/** Parsed consumption-averages, one per (meter, window); conflicting replays reported. */
export function emittedAverages(averages: ReadBack[], problems: string[]): Map<string, { meter: string; start: number; count: number; sum: number; avg: number }> {
  const out = new Map<string, { meter: string; start: number; count: number; sum: number; avg: number }>();
  for (const r of averages) {
    const a = parse(r) as { meter: string; windowStart: string; count: number; sum: number; avg: number };
    const start = Date.parse(a.windowStart);
    const id = `${a.meter}@${start}`;
    const prev = out.get(id);
    if (prev !== undefined && (prev.count !== a.count || !close(prev.sum, a.sum))) problems.push(`window ${id} emitted twice with different values`);
    out.set(id, { meter: a.meter, start, count: a.count, sum: a.sum, avg: a.avg });
  }
  return out;
}

function averagesCheck(truth: Truth, emitted: ReturnType<typeof emittedAverages>, problems: string[], facts: RunFacts): Check {
  let expected = 0;
  let open = 0;
  for (const [id, w] of truth.windows) {
    const wm = truth.watermark.get(truth.partitionOf.get(w.meter)!) ?? Number.NEGATIVE_INFINITY;
    const closed = w.start + facts.windowMs + facts.graceMs <= wm;
    const got = emitted.get(id);
    if (!closed) {
      open++;
      if (got !== undefined) problems.push(`window ${id} was emitted before its partition's watermark passed its end + grace`);
      continue;
    }
    expected++;
    if (got === undefined) problems.push(`closed window ${w.meter} ${new Date(w.start).toISOString()} was not emitted`);
    else if (got.count !== w.count || !close(got.sum, w.sum) || !close(got.avg, w.sum / w.count)) {
      problems.push(`window ${w.meter} ${new Date(w.start).toISOString()}: count ${got.count} sum ${got.sum}, expected ${w.count} ${w.sum}`);
    }
  }
  for (const id of emitted.keys()) if (!truth.windows.has(id)) problems.push(`window ${id} has no reading`);
  return check(
    'hourly averages = ground truth',
    problems,
    `${expected} closed (meter, hour) windows = ground truth (count, sum, avg); ${open} still open at the end (their hour is not over in event time)`,
    ['electric-readings', 'consumption-averages'],
  );
}

function alertsCheck(emitted: ReturnType<typeof emittedAverages>, alerts: ReadBack[], threshold: number): Check {
  const problems: string[] = [];
  const got = new Set<string>();
  for (const r of alerts) {
    const a = parse(r) as { meter: string; windowStart: string; avg: number };
    got.add(`${a.meter}@${Date.parse(a.windowStart)}`);
  }
  let expected = 0;
  for (const [id, w] of emitted) {
    const want = w.avg > threshold;
    if (want) expected++;
    if (want && !got.has(id)) problems.push(`no alert for ${id} (avg ${w.avg} > ${threshold})`);
    if (!want && got.has(id)) problems.push(`alert for ${id} (avg ${w.avg} <= ${threshold})`);
  }
  for (const id of got) if (!emitted.has(id)) problems.push(`alert ${id} for a window never averaged`);
  return check('alerts = windows above the threshold', problems, `${got.size} distinct alerts = the ${expected} windows with avg > ${threshold} kWh (of ${emitted.size})`, [
    'consumption-averages',
    'alerts',
  ]);
}

/** Records identical (partition, key and value) to an earlier one of the topic. */
function retryCopies(records: ReadBack[]): number {
  const seen = new Set<string>();
  let copies = 0;
  for (const r of records) {
    const id = `${r.partition}\u0000${r.key ?? ''}\u0000${r.value ?? ''}`;
    if (seen.has(id)) copies++;
    else seen.add(id);
  }
  return copies;
}

/** Runs every end-of-run check. */
export function runChecks(truth: Truth, topics: Map<string, ReadBack[]>, facts: RunFacts): Check[] {
  const checks: Check[] = [];
  const readings = new Map(topics.get('electric-readings')!.map((r) => [`${r.partition}/${r.offset}`, r]));
  const produced = facts.sourceProduced;
  // Under --chaos the embedded broker may append a retried Produce request twice: librdkafka's mock
  // checks sequence numbers only for transactional producers (Kafka deduplicates idempotent ones).
  // Such copies are identical records (meter and reading); they are counted, not failed.
  const copies = facts.chaos ? retryCopies(topics.get('electric-readings')!) : 0;
  checks.push(
    check(
      'source: every reading acknowledged and on the topic',
      [
        ...(facts.sourceExit === 0 ? [] : [`meter-readings exited with ${String(facts.sourceExit)}`]),
        ...(produced !== undefined && produced === facts.sourceAcknowledged ? [] : [`produced ${String(produced)}, acknowledged ${String(facts.sourceAcknowledged)}`]),
        ...(produced === truth.readings - copies ? [] : [`electric-readings holds ${truth.readings} readings${copies > 0 ? ` (${copies} identical copies)` : ''}, the source produced ${String(produced)}`]),
      ],
      `${truth.readings - copies} readings produced, all acknowledged by the broker and read back` +
        (copies > 0 ? ` (and ${copies} identical copies appended twice by the embedded broker on a retried Produce under --chaos)` : ''),
      ['electric-readings'],
    ),
  );
  const planned = facts.malformedEvery > 0 ? Math.floor(truth.readings / facts.malformedEvery) : 0;
  checks.push(
    check(
      'malformed readings injected as planned',
      [
        ...(truth.malformed.size === planned ? [] : [`${truth.malformed.size} malformed readings, expected ${planned} (every ${facts.malformedEvery}th)`]),
        ...(truth.splitMeters.length === 0 ? [] : [`meters on several partitions: ${truth.splitMeters.join(', ')}`]),
      ],
      `${truth.malformed.size} malformed readings on purpose (every ${facts.malformedEvery}th reading: negative kWh, non-numeric kWh, no meter, unreadable ts)`,
    ),
  );
  checks.push(auditCheck(truth, readings, topics.get('audit-log')!));
  for (const [name, stage] of [['audit', 'audit'], ['billing', 'billing-tariffs'], ['consumption-average', 'consumption-average']] as const) {
    checks.push(dlqCheck(name, stage, truth, topics.get(`${name}.dlq`)!));
  }
  checks.push(billingCheck(truth, topics.get('bills')!, topics.get('tariffs') ?? [], facts));
  const averageProblems: string[] = [];
  const emitted = emittedAverages(topics.get('consumption-averages')!, averageProblems);
  checks.push(averagesCheck(truth, emitted, averageProblems, facts));
  checks.push(alertsCheck(emitted, topics.get('alerts')!, facts.threshold));
  const alertsDlq = topics.get('alerts.dlq')!;
  checks.push(check('alerts DLQ empty', alertsDlq.length === 0 ? [] : [`${alertsDlq.length} averages dead-lettered by alerts`], 'every average was a valid input to alerts'));
  checks.push(check('drained: every stage at lag 0 before the stop', facts.drained ? [] : [facts.drainDetail], facts.drainDetail));
  checks.push(
    check(
      'clean run and stop: no crash, every stage exited 0 on SIGTERM',
      [...facts.unexpectedExits, ...facts.forcedKills.map((n) => `${n} had to be SIGKILLed at the stop`)],
      'no unexpected exit; every stage drained, committed and exited 0 on SIGTERM',
    ),
  );
  const lost = facts.retentionLoss;
  checks.push(
    check(
      'nothing lost to the broker\'s retention',
      lost.length === 0
        ? []
        : [
            `the oldest records of ${lost.map((l) => `${l.topic}/${l.partition} (${l.low})`).join(', ')} were deleted: the embedded broker keeps ~5 MiB per partition; ` +
              'run shorter (--duration) or slower (--speedup, --meters); the checks of those topics cannot be exact',
          ],
      'every topic still holds all its records (the embedded broker keeps ~5 MiB per partition)',
    ),
  );
  // A check that failed on a topic that lost records says so: the stage may well be right.
  for (const c of checks) {
    const topicsLost = [...new Set(lost.map((l) => l.topic))].filter((t) => c.topics?.includes(t));
    if (!c.pass && topicsLost.length > 0) c.detail += ` (${topicsLost.join(', ')} lost records to retention)`;
  }
  if (facts.kills) checks.push(check('kill-random: stages SIGKILLed and restarted', facts.kills.restarted && facts.kills.count > 0 ? [] : [facts.kills.detail], facts.kills.detail));
  if (facts.chaos) checks.push(check('chaos: broker faults injected while the source ran', facts.chaos.count > 0 ? [] : [facts.chaos.detail], facts.chaos.detail));
  return checks;
}
