import { parseDuration } from './duration.js';
import { SedaError } from './errors.js';
import { createSessionWindows, isSessionSpec } from './session-windows.js';
import type { StateStore, TimeWindowSpec, WindowResult, WindowSpec, WindowStore } from './state.js';
import { DIGITS, endsUpTo, expireClosed, firstEnd, type Meta, NUL, pad, WindowMeta } from './window-meta.js';

/**
 * Event-time windows kept in a partition's own state, so window contents,
 * the watermark and the offsets they reflect are committed in one atomic
 * write. Layout (keys starting with NUL are reserved for seda):
 *
 *   \0w\0<key>\0<start>   window entry { a: aggregate, c?: 1 when closed }
 *   \0o\0<end>\0<key>\0<start>   open window, by end (what to close next)
 *   \0r\0<end>\0<key>\0<start>   closed window, by end (what to expire next)
 *   \0wm                  { wm, next, exp }: the partition's watermark (the highest
 *                         event time seen), the smallest end of an open window and of
 *                         a closed one still kept (null: none)
 *
 * A window closes (and its final result is emitted) inside the `aggregate`
 * call of the record whose event time moves the watermark to or past its
 * end + grace: which record closes a window depends only on the data, never
 * on how records were cut into batches, so a replay attributes every window
 * result (and its lineage) to the same input record. Closed windows leave
 * state the same way, once the watermark passes end + retention. Keeping the
 * smallest open and closed ends next to the watermark makes the common case
 * (nothing to close or expire) cost nothing beyond the watermark. The engine
 * reads `\0wm` once per batch and writes it once, when the batch ends
 * (`flush`); a record whose processing is retried rolls it back with the
 * batch's state (`savepoint`, `rollback`).
 */

const WM = '\u0000wm';
const ENTRY = '\u0000w\u0000';
const OPEN = '\u0000o\u0000';
const CLOSED = '\u0000r\u0000';

interface Entry<A> {
  a: A;
  c?: 1;
}

/** Hooks the stage transform gives the engine. */
export interface WindowsHooks {
  /** A window result to hand to the stage's `onWindow`. */
  onResult(window: WindowResult): void;
  /** A late record was dropped (spec `late: 'drop'`). */
  onLateDropped(): void;
}

/** A window store plus what the transform drives: binding per batch and closing due windows. */
export interface WindowsEngine<A = unknown> extends WindowStore<A> {
  /** Binds the engine to the state of the batch in progress. */
  bind(state: StateStore, partition: number): void;
  /** Remembers the watermark as it is before a record, to return to it if the record's processing fails. */
  savepoint(): void;
  /** Returns to the last savepoint (the batch's state is rolled back alongside). */
  rollback(): void;
  /** Writes the watermark into the batch's state, if it moved; call before the batch is sealed. */
  flush(): void;
}

/** Resolved window parameters, in milliseconds. */
export interface WindowParams {
  sizeMs: number;
  advanceMs: number;
  graceMs: number;
  retentionMs: number;
  emit: 'final' | 'update';
  late: 'dlq' | 'drop';
}

/** Validates a window spec and resolves its durations. */
export function resolveWindowSpec(spec: TimeWindowSpec): WindowParams {
  const sizeMs = parseDuration(spec.size, 'state.windows.size');
  const advanceMs = spec.advance === undefined ? sizeMs : parseDuration(spec.advance, 'state.windows.advance');
  const graceMs = spec.grace === undefined ? 0 : parseDuration(spec.grace, 'state.windows.grace');
  const retentionMs = spec.retention === undefined ? Math.max(86_400_000, sizeMs + graceMs) : parseDuration(spec.retention, 'state.windows.retention');
  const problems: string[] = [];
  if (sizeMs <= 0) problems.push('"size" must be above 0');
  if (advanceMs <= 0 || advanceMs > sizeMs) problems.push('"advance" must be above 0 and at most "size"');
  if (retentionMs < graceMs) problems.push('"retention" must be at least "grace"');
  if (spec.emit !== undefined && spec.emit !== 'final' && spec.emit !== 'update') problems.push('"emit" must be "final" or "update"');
  if (spec.late !== undefined && spec.late !== 'dlq' && spec.late !== 'drop') problems.push('"late" must be "dlq" or "drop"');
  if (problems.length > 0) throw new SedaError('SEDA_STAGE_INVALID', `state.windows: ${problems.join('; ')}`);
  return { sizeMs, advanceMs, graceMs, retentionMs, emit: spec.emit ?? 'final', late: spec.late ?? 'dlq' };
}

/** The start times of every window containing `ts`, oldest first. */
export function windowStarts(ts: number, sizeMs: number, advanceMs: number): number[] {
  const starts: number[] = [];
  const last = Math.floor(ts / advanceMs) * advanceMs;
  for (let s = last; s > ts - sizeMs; s -= advanceMs) starts.push(s);
  return starts.reverse();
}

/** Creates the window engine of a stage instance: time windows (tumbling, hopping) or session windows. */
export function createWindows<A = unknown>(spec: WindowSpec, hooks: WindowsHooks): WindowsEngine<A> {
  if (isSessionSpec(spec)) return createSessionWindows<A>(spec, hooks);
  const p = resolveWindowSpec(spec);
  const meta = new WindowMeta(WM, OPEN, CLOSED);
  const bound = (): StateStore => meta.store;

  /** Whether windows are due to close, or to leave state, at watermark `wm`. */
  const isDue = (m: Meta, wm: number): boolean => (m.next !== null && m.next + p.graceMs <= wm) || (m.exp !== null && m.exp + p.retentionMs <= wm);

  /** Closes the windows due at watermark `wm` and expires those past retention; updates `m.next` and `m.exp`. */
  const close = async (s: StateStore, wm: number, m: Meta): Promise<void> => {
    if (m.next !== null && m.next + p.graceMs <= wm) {
      // Open windows with end + grace <= watermark are final now.
      for (const { k, end, id } of await endsUpTo(s, OPEN, wm - p.graceMs)) {
        const sep = id.lastIndexOf(NUL);
        const key = id.slice(0, sep);
        const start = Number(id.slice(sep + 1));
        const entry = (await s.get(ENTRY + id)) as Entry<A> | undefined;
        s.del(k);
        if (entry === undefined) continue;
        s.put(ENTRY + id, { a: entry.a, c: 1 });
        s.put(`${CLOSED}${pad(end)}${NUL}${id}`, 1);
        if (m.exp === null || end < m.exp) m.exp = end;
        hooks.onResult({ key, start, end, value: entry.a, final: true });
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

    async aggregate(key: string, timestamp: number, fold: (acc: A | undefined) => A): Promise<boolean> {
      const s = bound();
      if (!Number.isFinite(timestamp)) {
        throw new SedaError('SEDA_STAGE_PROCESS', `windows: event time of key "${key}" is not a number (${String(timestamp)})`);
      }
      const m = await meta.current();
      const wm = m.wm;
      const { next, exp } = m;
      let accepted = false;
      for (const start of windowStarts(timestamp, p.sizeMs, p.advanceMs)) {
        const end = start + p.sizeMs;
        if (end + p.graceMs <= wm) continue; // this window is closed
        accepted = true;
        const id = `${key}${NUL}${pad(start)}`;
        const entry = (await s.get(ENTRY + id)) as Entry<A> | undefined;
        const value = fold(entry?.a);
        s.put(ENTRY + id, { a: value });
        if (entry === undefined) {
          s.put(`${OPEN}${pad(end)}${NUL}${id}`, 1);
          if (m.next === null || end < m.next) m.next = end;
        }
        if (p.emit === 'update') hooks.onResult({ key, start, end, value, final: false });
      }
      if (!accepted) {
        if (p.late === 'drop') {
          hooks.onLateDropped();
          return false;
        }
        throw new SedaError(
          'SEDA_WINDOW_LATE',
          `record of key "${key}" at ${new Date(timestamp).toISOString()} is later than the grace period of every window it belongs to (watermark ${new Date(wm).toISOString()})`,
        );
      }
      if (timestamp > wm) m.wm = timestamp;
      // This record moved the watermark past the end + grace of the oldest open window (or the
      // retention of the oldest closed one): it closes (or expires) them, all that are due.
      if (isDue(m, m.wm)) await close(s, m.wm, m);
      if (m.wm !== wm || m.next !== next || m.exp !== exp) meta.touch();
      return true;
    },

    async get(key: string, windowStart: number): Promise<A | undefined> {
      const entry = (await bound().get(`${ENTRY}${key}${NUL}${pad(windowStart)}`)) as Entry<A> | undefined;
      return entry?.a;
    },

    async *range(key?: string): AsyncIterable<WindowResult<A>> {
      const prefix = key === undefined ? ENTRY : `${ENTRY}${key}${NUL}`;
      for await (const [k, v] of bound().range({ prefix })) {
        const id = k.slice(ENTRY.length);
        const sep = id.lastIndexOf(NUL);
        const start = Number(id.slice(sep + 1));
        const entry = v as Entry<A>;
        yield { key: id.slice(0, sep), start, end: start + p.sizeMs, value: entry.a, final: entry.c === 1 };
      }
    },
  };
}
