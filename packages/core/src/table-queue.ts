import type { TableRecord } from './tables.js';

/**
 * The fetched, not yet applied records of one table partition, in offset
 * order, and the rule that orders them with the stream: before a stream
 * record stamped `t`, every record at the head whose timestamp is <= `t` is
 * applied. A head record newer than `t` holds back the ones behind it (as
 * in Kafka Streams), so what was applied after a stream record depends only
 * on the largest stream timestamp seen, never on fetch timing, provided
 * {@link TableQueue.decides} held before the records were processed.
 */
export class TableQueue {
  #records: TableRecord[] = [];
  #head = 0;
  /** The largest timestamp among the fetched records. */
  #newest = Number.NEGATIVE_INFINITY;
  /** The offset after the last record fetched (or the start position). */
  fetchedTo: number;

  constructor(start: number) {
    this.fetchedTo = start;
  }

  /** Adds a fetched record; records below what was fetched already (a re-fetch) are ignored. */
  push(r: TableRecord): void {
    if (r.offset < this.fetchedTo) return;
    this.#records.push(r);
    this.fetchedTo = r.offset + 1;
    if (r.timestamp > this.#newest) this.#newest = r.timestamp;
  }

  /** Records fetched and not applied yet. */
  get size(): number {
    return this.#records.length - this.#head;
  }

  /**
   * True when the fetched records alone tell what to apply up to a stream
   * record stamped `t`: one of them is newer than `t`, so the records the
   * rule applies end before it.
   */
  decides(t: number): boolean {
    if (this.#newest <= t) return false;
    for (let i = this.#head; i < this.#records.length; i++) if (this.#records[i].timestamp > t) return true;
    return false;
  }

  /** Takes the head records to apply before a stream record stamped `t`. */
  take(t: number): TableRecord[] {
    const start = this.#head;
    while (this.#head < this.#records.length && this.#records[this.#head].timestamp <= t) this.#head++;
    const taken = this.#records.slice(start, this.#head);
    if (this.#head > 1024 && this.#head * 2 > this.#records.length) {
      this.#records = this.#records.slice(this.#head);
      this.#head = 0;
    }
    if (this.size === 0) this.#newest = Number.NEGATIVE_INFINITY;
    return taken;
  }
}
