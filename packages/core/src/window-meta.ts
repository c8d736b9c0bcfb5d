import { SedaError } from './errors.js';
import type { StateStore } from './state.js';

/**
 * What a window engine keeps next to its windows in a partition's state: the
 * watermark (highest event time seen) and the smallest "end" of an open and
 * of a closed window, so the common case (nothing to close or expire) costs
 * one read per batch. Shared by time windows (windows.ts) and session
 * windows (session-windows.ts); each passes its own key names.
 */

/** Width of the zero-padded numbers in window keys (so they sort as numbers). */
export const DIGITS = 15;
/** Separator inside window keys. */
export const NUL = '\u0000';

/** Pads a non-negative whole number so that keys sort numerically. */
export function pad(n: number): string {
  return String(Math.max(0, Math.floor(n))).padStart(DIGITS, '0');
}

/** What the meta key holds. */
export interface Meta {
  wm: number;
  /** Smallest end among open windows; null when none is open. */
  next: number | null;
  /** Smallest end among closed windows still kept; null when none is. */
  exp: number | null;
}

/** The smallest end in an index (`<index><end>\0...`), or null when it is empty. */
export async function firstEnd(s: StateStore, index: string): Promise<number | null> {
  for await (const [k] of s.range({ prefix: index, limit: 1 })) return Number(k.slice(index.length, index.length + DIGITS));
  return null;
}

/** The keys of an index (`<index><end>\0<id>`) with end at or before `upTo`, each with its end and id, in end order. */
export async function endsUpTo(s: StateStore, index: string, upTo: number): Promise<Array<{ k: string; end: number; id: string }>> {
  const out: Array<{ k: string; end: number; id: string }> = [];
  for await (const [k] of s.range({ gte: index, lt: `${index}${pad(upTo + 1)}` })) {
    out.push({ k, end: Number(k.slice(index.length, index.length + DIGITS)), id: k.slice(index.length + DIGITS + 1) });
  }
  return out;
}

/**
 * Deletes closed windows (or sessions) whose end + retention is at or before
 * the watermark, with their entries, and moves `m.exp` to the next closed
 * end. `closed` and `entry` are the engine's key prefixes.
 */
export async function expireClosed(s: StateStore, m: Meta, wm: number, retentionMs: number, closed: string, entry: string): Promise<void> {
  if (m.exp === null || m.exp + retentionMs > wm) return;
  for (const { k, id } of await endsUpTo(s, closed, wm - retentionMs)) {
    s.del(k);
    s.del(entry + id);
  }
  m.exp = await firstEnd(s, closed);
}

/**
 * The watermark of the batch in progress: read from state once per batch,
 * changed in memory, written once when the batch ends (`flush`), and rolled
 * back with the batch's state when a record's processing is retried.
 */
export class WindowMeta {
  readonly #key: string;
  readonly #open: string;
  readonly #closed: string;
  #state: StateStore | undefined;
  #meta: Meta | undefined;
  #dirty = false;
  /** The watermark at the last savepoint, reused (every record takes one); `#hasSaved` false: not read yet then. */
  readonly #saved: Meta = { wm: Number.NEGATIVE_INFINITY, next: null, exp: null };
  #hasSaved = false;
  #savedDirty = false;

  /** `key`: where the meta lives; `open`/`closed`: the index prefixes whose first end it caches. */
  constructor(key: string, open: string, closed: string) {
    this.#key = key;
    this.#open = open;
    this.#closed = closed;
  }

  bind(s: StateStore): void {
    this.#state = s;
    this.#meta = undefined;
    this.#dirty = false;
    this.#hasSaved = false;
    this.#savedDirty = false;
  }

  /** The state of the batch in progress. */
  get store(): StateStore {
    if (this.#state === undefined) throw new SedaError('SEDA_STAGE_NO_STATE', 'ctx.windows used outside a batch');
    return this.#state;
  }

  /** The batch's meta: read from state once, then kept (and changed in place by the engine) until `flush`. */
  async current(): Promise<Meta> {
    return (this.#meta ??= await this.#read(this.store));
  }

  /** Marks the meta changed, so `flush` writes it. */
  touch(): void {
    this.#dirty = true;
  }

  savepoint(): void {
    const m = this.#meta;
    this.#hasSaved = m !== undefined;
    if (m !== undefined) {
      this.#saved.wm = m.wm;
      this.#saved.next = m.next;
      this.#saved.exp = m.exp;
    }
    this.#savedDirty = this.#dirty;
  }

  rollback(): void {
    this.#meta = this.#hasSaved ? { wm: this.#saved.wm, next: this.#saved.next, exp: this.#saved.exp } : undefined;
    this.#dirty = this.#savedDirty;
  }

  flush(): void {
    if (!this.#dirty || this.#meta === undefined) return;
    const m = this.#meta;
    this.store.put(this.#key, { wm: m.wm, next: m.next, exp: m.exp });
    this.#dirty = false;
  }

  /** Reads the meta; an older store kept only the watermark (a number): the rest is found once. */
  async #read(s: StateStore): Promise<Meta> {
    const v = (await s.get(this.#key)) as Meta | number | undefined;
    if (v === undefined) return { wm: Number.NEGATIVE_INFINITY, next: null, exp: null };
    if (typeof v === 'number') return { wm: v, next: await firstEnd(s, this.#open), exp: await firstEnd(s, this.#closed) };
    return { wm: v.wm ?? Number.NEGATIVE_INFINITY, next: v.next, exp: v.exp ?? null };
  }
}
