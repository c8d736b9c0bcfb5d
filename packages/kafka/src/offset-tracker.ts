import { performance } from 'node:perf_hooks';
import { tpKey as key } from '@seda/core';

/** One tracked unit (a record or a batch): committable once acknowledged and all before it are. */
export interface Ticket {
  readonly topic: string;
  readonly partition: number;
  readonly nextOffset: number;
  /** When it was tracked (`performance.now()`), for the unit's duration. */
  readonly trackedAt: number;
}

interface MutableTicket extends Ticket {
  acked: boolean;
  /** The partition's queue it was tracked in (a partition forgotten and tracked again has a new one). */
  readonly queue: PartitionQueue;
}

/** A partition's in-flight tickets as a ring-less FIFO: an array with a moving head, compacted as it drains. */
class PartitionQueue {
  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}
  items: MutableTicket[] = [];
  head = 0;
  /** Next offset of the last contiguous acknowledged ticket, not yet marked committed. */
  committable: number | undefined;
  committed: number | undefined;

  get size(): number {
    return this.items.length - this.head;
  }

  advance(): void {
    const items = this.items;
    while (this.head < items.length && items[this.head].acked) {
      this.committable = items[this.head].nextOffset;
      this.head++;
    }
    // Compact once the drained prefix dominates: memory stays proportional to what is in flight.
    if (this.head > 1024 && this.head * 2 > items.length) {
      this.items = items.slice(this.head);
      this.head = 0;
    }
  }
}


/**
 * Tracks in-flight work per partition. Units are tracked in consumption order
 * and acknowledged in any order; a partition's committable offset is the
 * `nextOffset` of the last unit before the first one still in flight, so a
 * commit never skips work that is not done.
 */
export class OffsetTracker {
  readonly #partitions = new Map<string, PartitionQueue>();
  readonly #drainWaiters = new Set<() => void>();

  #queue(topic: string, partition: number): PartitionQueue {
    const k = key(topic, partition);
    let q = this.#partitions.get(k);
    if (q === undefined) this.#partitions.set(k, (q = new PartitionQueue(topic, partition)));
    return q;
  }

  /** Opens partitions (assigned): {@link isOpen} says true for them until {@link forget}. */
  open(partitions: Array<{ topic: string; partition: number }>): void {
    for (const p of partitions) this.#queue(p.topic, p.partition);
  }

  /** True while a partition is tracked: opened, started or tracked into, and not forgotten. */
  isOpen(topic: string, partition: number): boolean {
    return this.#partitions.has(key(topic, partition));
  }

  /** Starts tracking a unit; call in consumption order per partition. */
  track(topic: string, partition: number, nextOffset: number): Ticket {
    const queue = this.#queue(topic, partition);
    const ticket: MutableTicket = { topic, partition, nextOffset, trackedAt: performance.now(), acked: false, queue };
    queue.items.push(ticket);
    return ticket;
  }

  /**
   * The oldest unacknowledged ticket of a partition with this `nextOffset`
   * (for units whose ticket was not carried along, e.g. by a hand-written Transform).
   */
  ticketFor(topic: string, partition: number, nextOffset: number): Ticket | undefined {
    const q = this.#partitions.get(key(topic, partition));
    if (q === undefined) return undefined;
    for (let i = q.head; i < q.items.length; i++) if (!q.items[i].acked && q.items[i].nextOffset === nextOffset) return q.items[i];
    return undefined;
  }

  /**
   * Marks a unit done; acknowledgements may arrive in any order. False when
   * it counts for nothing: acknowledged before, or its partition was forgotten
   * (revoked) since it was tracked.
   */
  ack(ticket: Ticket): boolean {
    const t = ticket as MutableTicket;
    if (t.acked) return false;
    t.acked = true;
    if (this.#partitions.get(key(t.topic, t.partition)) !== t.queue) return false; // forgotten (revoked) partition
    t.queue.advance();
    if (this.#drainWaiters.size > 0) for (const w of this.#drainWaiters) w();
    return true;
  }

  /** Offsets to commit: partitions whose committable offset advanced since the last {@link markCommitted}. */
  committable(): Array<{ topic: string; partition: number; offset: number }> {
    const out: Array<{ topic: string; partition: number; offset: number }> = [];
    for (const q of this.#partitions.values()) {
      if (q.committable !== undefined && q.committable !== q.committed) {
        out.push({ topic: q.topic, partition: q.partition, offset: q.committable });
      }
    }
    return out;
  }

  /**
   * Sets a partition's committable offset before any unit of it is tracked
   * (state mode: the offset stored with the state, so the group's commit,
   * kept for lag visibility, catches up even when nothing new arrives).
   */
  start(topic: string, partition: number, offset: number): void {
    const q = this.#queue(topic, partition);
    if (q.size === 0 && q.committable === undefined) q.committable = offset;
  }

  /** Records that these offsets were committed. */
  markCommitted(offsets: Array<{ topic: string; partition: number; offset: number }>): void {
    for (const o of offsets) {
      const q = this.#partitions.get(key(o.topic, o.partition));
      if (q !== undefined) q.committed = o.offset;
    }
  }

  /** Units tracked and not yet acknowledged, for one partition or all. */
  inFlight(topic?: string, partition?: number): number {
    if (topic !== undefined && partition !== undefined) return this.#partitions.get(key(topic, partition))?.size ?? 0;
    let n = 0;
    for (const q of this.#partitions.values()) n += q.size;
    return n;
  }

  /** Resolves true once every unit of these partitions is acknowledged, or false after `timeoutMs`. */
  whenDrained(partitions: Array<{ topic: string; partition: number }>, timeoutMs: number): Promise<boolean> {
    const drained = (): boolean => partitions.every((p) => this.inFlight(p.topic, p.partition) === 0);
    if (drained()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (drained()) finish(true);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (result: boolean): void => {
        clearTimeout(timer);
        this.#drainWaiters.delete(check);
        resolve(result);
      };
      this.#drainWaiters.add(check);
    });
  }

  /** Stops tracking partitions (revoked): later acks for them are ignored. */
  forget(partitions: Array<{ topic: string; partition: number }>): void {
    for (const p of partitions) this.#partitions.delete(key(p.topic, p.partition));
    for (const w of this.#drainWaiters) w();
  }
}
