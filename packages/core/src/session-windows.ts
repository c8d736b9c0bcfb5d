import { parseDuration } from './duration.js';
import { SedaError } from './errors.js';
import type { SessionWindowSpec, StateStore, WindowResult, WindowSpec } from './state.js';
import { DIGITS, endsUpTo, expireClosed, firstEnd, type Meta, NUL, pad, WindowMeta } from './window-meta.js';
import type { WindowsEngine, WindowsHooks } from './windows.js';

/**
 * Session windows kept in a partition's own state, committed with the
 * offsets they reflect, like time windows (windows.ts). Layout:
 *
 *   \0s\0<key>\0<start>            session entry { a: aggregate, e: last record's time, c?: 1 when closed }
 *   \0sk\0<key>\0<start>           last record's time of an OPEN session (what a record of the key may join)
 *   \0so\0<last+gap>\0<key>\0<start>   open session, by last + gap (what to close next)
 *   \0sr\0<last+gap>\0<key>\0<start>   closed session, by last + gap (what to expire next)
 *   \0swm                          { wm, next, exp } (window-meta.ts)
 *
 * A record joins every open session of its key within `gap` of it (start -
 * gap <= ts <= last + gap); joining two or more merges them, oldest first,
 * with the stage's merge function. A session closes, and is emitted once,
 * inside the aggregate call of the record that moves the watermark to or
 * past its last + gap + grace: as for time windows, which record closes a
 * session depends only on the data, so a replay emits the same results under
 * the same lineage. Closed sessions are never reopened: a record within gap
 * of a closed session only starts a new one. A record that joins no open
 * session and whose own session would already be closed (ts + gap + grace at
 * or before the watermark) is late.
 */

const WM = '\u0000swm';
const ENTRY = '\u0000s\u0000';
const BY_KEY = '\u0000sk\u0000';
const OPEN = '\u0000so\u0000';
const CLOSED = '\u0000sr\u0000';

interface Entry<A> {
  a: A;
  /** Time of the session's last record. */
  e: number;
  c?: 1;
}

/** Resolved session parameters, in milliseconds. */
export interface SessionParams {
  gapMs: number;
  graceMs: number;
  retentionMs: number;
  late: 'dlq' | 'drop';
}

/** Whether a window spec asks for session windows. */
export function isSessionSpec(spec: WindowSpec): spec is SessionWindowSpec {
  return (spec as SessionWindowSpec).session !== undefined;
}

/** Validates a session spec and resolves its durations; lists every problem at once. */
export function resolveSessionSpec(spec: SessionWindowSpec): SessionParams {
  const s = spec.session;
  if (s === null || typeof s !== 'object') throw new SedaError('SEDA_STAGE_INVALID', 'state.windows.session must be an object like { gap: "30m", grace: "5m" }');
  const gapMs = s.gap === undefined ? Number.NaN : parseDuration(s.gap, 'state.windows.session.gap');
  const graceMs = s.grace === undefined ? 0 : parseDuration(s.grace, 'state.windows.session.grace');
  const retentionMs = s.retention === undefined ? Math.max(86_400_000, gapMs + graceMs) : parseDuration(s.retention, 'state.windows.session.retention');
  const problems: string[] = [];
  if (!(gapMs > 0)) problems.push('"gap" is required and must be above 0');
  if (graceMs < 0) problems.push('"grace" must be 0 or more');
  if (retentionMs < graceMs) problems.push('"retention" must be at least "grace"');
  if (s.late !== undefined && s.late !== 'dlq' && s.late !== 'drop') problems.push('"late" must be "dlq" or "drop"');
  const unknown = Object.keys(spec).filter((k) => k !== 'session');
  if (unknown.length > 0) problems.push(`${unknown.map((k) => `"${k}"`).join(', ')} cannot be combined with "session"`);
  if (problems.length > 0) throw new SedaError('SEDA_STAGE_INVALID', `state.windows.session: ${problems.join('; ')}`);
  return { gapMs, graceMs, retentionMs, late: s.late ?? 'dlq' };
}

/** `<key>\0<start>` into its parts. */
function splitId(id: string): { key: string; start: number } {
  const sep = id.lastIndexOf(NUL);
  return { key: id.slice(0, sep), start: Number(id.slice(sep + 1)) };
}

/**
 * Creates the session window engine of a stage instance. One closure over
 * the resolved spec and the batch's meta, like the time-window engine, which
 * makes it longer than most functions: its methods are the engine.
 */
export function createSessionWindows<A = unknown>(spec: SessionWindowSpec, hooks: WindowsHooks): WindowsEngine<A> {
  const p = resolveSessionSpec(spec);
  const meta = new WindowMeta(WM, OPEN, CLOSED);
  const isDue = (m: Meta, wm: number): boolean => (m.next !== null && m.next + p.graceMs <= wm) || (m.exp !== null && m.exp + p.retentionMs <= wm);

  /** Closes the sessions due at watermark `wm` and expires those past retention; updates `m.next` and `m.exp`. */
  const close = async (s: StateStore, wm: number, m: Meta): Promise<void> => {
    if (m.next !== null && m.next + p.graceMs <= wm) {
      for (const { k, end, id } of await endsUpTo(s, OPEN, wm - p.graceMs)) {
        const entry = (await s.get(ENTRY + id)) as Entry<A> | undefined;
        s.del(k);
        s.del(BY_KEY + id);
        if (entry === undefined) continue;
        s.put(ENTRY + id, { a: entry.a, e: entry.e, c: 1 });
        s.put(`${CLOSED}${pad(end)}${NUL}${id}`, 1);
        if (m.exp === null || end < m.exp) m.exp = end;
        const { key, start } = splitId(id);
        hooks.onResult({ key, start, end: entry.e, value: entry.a, final: true });
      }
      m.next = await firstEnd(s, OPEN);
    }
    await expireClosed(s, m, wm, p.retentionMs, CLOSED, ENTRY); // closed windows past retention leave state
  };

  return {
    bind(s: StateStore): void {
      meta.bind(s);
    },
    savepoint(): void {
      meta.savepoint();
    },
    rollback(): void {
      meta.rollback();
    },
    flush(): void {
      meta.flush();
    },

    async aggregate(key: string, timestamp: number, fold: (acc: A | undefined) => A, merge?: (older: A, newer: A) => A): Promise<boolean> {
      const s = meta.store;
      if (typeof merge !== 'function') {
        throw new SedaError('SEDA_STAGE_INVALID', `session windows need a merge function, for when a record bridges two sessions: ctx.windows.aggregate(key, ts, fold, merge)`);
      }
      if (!Number.isFinite(timestamp)) {
        throw new SedaError('SEDA_STAGE_PROCESS', `windows: event time of key "${key}" is not a number (${String(timestamp)})`);
      }
      const m = await meta.current();
      const { wm, next, exp } = m;
      // The open sessions of the key this record joins, oldest first. Open sessions of a key are
      // more than `gap` apart, so scanning back from ts + gap stops at the first that ends too early.
      const prefix = `${BY_KEY}${key}${NUL}`;
      const hits: Array<{ start: number; last: number }> = [];
      for await (const [k, last] of s.range({ prefix, lte: `${prefix}${pad(timestamp + p.gapMs)}`, reverse: true })) {
        if ((last as number) < timestamp - p.gapMs) break;
        hits.unshift({ start: Number(k.slice(prefix.length)), last: last as number });
      }
      let start = timestamp;
      let last = timestamp;
      let acc: A | undefined;
      if (hits.length === 0) {
        if (timestamp + p.gapMs + p.graceMs <= wm) {
          if (p.late === 'drop') {
            hooks.onLateDropped();
            return false;
          }
          throw new SedaError(
            'SEDA_WINDOW_LATE',
            `record of key "${key}" at ${new Date(timestamp).toISOString()} joins no open session and is later than gap + grace (watermark ${new Date(wm).toISOString()})`,
          );
        }
      } else {
        start = Math.min(hits[0].start, timestamp);
        last = Math.max(hits[hits.length - 1].last, timestamp);
        for (const h of hits) {
          const id = `${key}${NUL}${pad(h.start)}`;
          const entry = (await s.get(ENTRY + id)) as Entry<A>;
          acc = acc === undefined ? entry.a : merge(acc, entry.a);
          s.del(ENTRY + id);
          s.del(BY_KEY + id);
          s.del(`${OPEN}${pad(h.last + p.gapMs)}${NUL}${id}`);
        }
      }
      const id = `${key}${NUL}${pad(start)}`;
      const entry: Entry<A> = { a: fold(acc), e: last };
      s.put(ENTRY + id, entry);
      s.put(BY_KEY + id, last);
      s.put(`${OPEN}${pad(last + p.gapMs)}${NUL}${id}`, 1);
      // The smallest open end only grows here unless it was one of the sessions just replaced.
      if (hits.some((h) => h.last + p.gapMs === m.next)) m.next = await firstEnd(s, OPEN);
      else if (m.next === null || last + p.gapMs < m.next) m.next = last + p.gapMs;
      if (timestamp > wm) m.wm = timestamp;
      if (isDue(m, m.wm)) await close(s, m.wm, m);
      if (m.wm !== wm || m.next !== next || m.exp !== exp) meta.touch();
      return true;
    },

    async get(key: string, windowStart: number): Promise<A | undefined> {
      const entry = (await meta.store.get(`${ENTRY}${key}${NUL}${pad(windowStart)}`)) as Entry<A> | undefined;
      return entry?.a;
    },

    async *range(key?: string): AsyncIterable<WindowResult<A>> {
      const prefix = key === undefined ? ENTRY : `${ENTRY}${key}${NUL}`;
      for await (const [k, v] of meta.store.range({ prefix })) {
        const { key: k2, start } = splitId(k.slice(ENTRY.length));
        const entry = v as Entry<A>;
        yield { key: k2, start, end: entry.e, value: entry.a, final: entry.c === 1 };
      }
    },
  };
}
