import type { ChangelogIO, ChangelogRecord, ReadChangelogRecord } from '../src/index.js';

/** An in-memory changelog topic: what the Kafka one does, with a way to fail on purpose. */
export class MemoryChangelog implements ChangelogIO {
  readonly topic = 'mem-changelog';
  readonly logs = new Map<number, ReadChangelogRecord[]>();
  /** Log start offset per partition (records below were "deleted by retention"). */
  readonly low = new Map<number, number>();
  /** Fails a read after this many chunks (a crash during restore). */
  failReadAfterChunks: number | undefined;
  /** Delivers only the first n records of the next append, then fails it (a crash mid-append). */
  cutNextAppendAfter: number | undefined;
  readChunk = 3;

  #log(partition: number): ReadChangelogRecord[] {
    let log = this.logs.get(partition);
    if (log === undefined) this.logs.set(partition, (log = []));
    return log;
  }

  async append(partition: number, records: ChangelogRecord[]): Promise<number> {
    const log = this.#log(partition);
    const cut = this.cutNextAppendAfter;
    this.cutNextAppendAfter = undefined;
    for (const [i, r] of records.entries()) {
      if (cut !== undefined && i >= cut) throw new Error('append cut short');
      log.push({ ...r, offset: log.length });
    }
    return log.length - 1;
  }

  async watermarks(partition: number): Promise<{ low: number; high: number }> {
    return { low: this.low.get(partition) ?? 0, high: this.#log(partition).length };
  }

  async read(partition: number, from: number, to: number, onRecords: (records: ReadChangelogRecord[]) => Promise<void>): Promise<void> {
    const log = this.#log(partition);
    let chunks = 0;
    for (let i = from; i < to; i += this.readChunk) {
      if (this.failReadAfterChunks !== undefined && chunks++ >= this.failReadAfterChunks) throw new Error('read failed (crash during restore)');
      await onRecords(log.slice(i, Math.min(to, i + this.readChunk)));
    }
  }

  async close(): Promise<void> {}
}
