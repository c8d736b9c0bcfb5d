import type { Monitor, Sample } from './monitor.js';

/**
 * The demo's live sampling: one {@link Monitor} sample a second (never two at
 * once), handed to `onSample` for the view. Says once when the broker stops
 * answering (and when it answers again), and once when the broker's
 * retention deleted records. Counts the samples in a row that found the
 * pipeline drained, for the drain detection.
 */
export class Sampler {
  /** The latest sample. */
  last: Sample | undefined;
  /** Samples in a row with every group at lag 0 and every consumer settled; reset by the drain to count afresh. */
  quiet = 0;
  readonly #monitor: Monitor;
  readonly #say: (message: string) => void;
  readonly #onSample: (sample: Sample) => void;
  #timer: NodeJS.Timeout | undefined;
  #sampling = false;
  #failed = false;
  #retentionReported = false;

  constructor(monitor: Monitor, say: (message: string) => void, onSample: (sample: Sample) => void) {
    this.#monitor = monitor;
    this.#say = say;
    this.#onSample = onSample;
  }

  /** Samples every second until {@link Sampler.stop}. */
  start(): void {
    this.#timer = setInterval(() => {
      if (this.#sampling) return;
      this.#sampling = true;
      this.#monitor
        .sample()
        .then((s) => {
          if (this.#failed) this.#say('the broker answers again');
          this.#failed = false;
          this.last = s;
          this.quiet = s.lagZero && s.settled ? this.quiet + 1 : 0;
          this.#onSample(s);
          if (s.retentionLoss.length > 0 && !this.#retentionReported) {
            this.#retentionReported = true;
            this.#say(`RETENTION LOSS: the broker deleted the oldest records of ${s.retentionLoss.map((l) => `${l.topic}/${l.partition}`).join(', ')} (~5 MiB per partition)`);
          }
        })
        .catch((err: unknown) => {
          // Said once, not every second while the broker does not answer; the broker's own reason,
          // as librdkafka gives it (OffsetProbe wraps it in SEDA_KAFKA_ADMIN).
          if (!this.#failed) this.#say(`cannot read the pipeline's progress from the broker: ${(((err as Error).cause as Error | undefined) ?? (err as Error)).message}`);
          this.#failed = true;
        })
        .finally(() => (this.#sampling = false));
    }, 1000);
  }

  /** Takes one sample now (after the stop, for the summary) and keeps it as the last. */
  async sampleNow(): Promise<Sample> {
    this.last = await this.#monitor.sample();
    return this.last;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
