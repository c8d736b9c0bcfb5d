import Kafka from 'node-rdkafka';

const ERR_QUEUE_FULL = Kafka.CODES.ERRORS.ERR__QUEUE_FULL;

/** Whether a `produce()` failure is librdkafka's full local queue (wait for deliveries, then produce again). */
export function isQueueFull(err: unknown): boolean {
  return (err as { code?: number } | null)?.code === ERR_QUEUE_FULL;
}

/**
 * Producers waiting for room in librdkafka's queue after `produce()` failed
 * with {@link isQueueFull}: each resumes once, on the next delivery report
 * ({@link wake}) or after 50 ms, in case the last report came before it waited.
 */
export class QueueRoom {
  #waiters: Array<() => void> = [];

  /** Runs `resume` once, when a delivery report makes room or after 50 ms. */
  wait(resume: () => void): void {
    let resumed = false;
    const once = (): void => {
      if (resumed) return;
      resumed = true;
      resume();
    };
    this.#waiters.push(once);
    setTimeout(once, 50).unref();
  }

  /** Resumes every waiter; call on each delivery report. */
  wake(): void {
    if (this.#waiters.length === 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
