/**
 * Recently written values in two generations: writes and hits go to the young
 * map; when it is full it becomes the old one and the previous old one is
 * dropped. Every operation is O(1) (an LRU over one Map would walk the holes
 * its evictions leave at the front on every eviction).
 */
export class RecentValues {
  #young = new Map<string, Buffer>();
  #old = new Map<string, Buffer>();
  readonly #half: number;

  constructor(entries: number) {
    this.#half = Math.max(0, Math.floor(entries / 2));
  }

  get(key: string): Buffer | undefined {
    const young = this.#young.get(key);
    if (young !== undefined) return young;
    const old = this.#old.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: string, value: Buffer): void {
    if (this.#half === 0) return;
    if (this.#young.size >= this.#half && !this.#young.has(key)) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(key, value);
  }

  delete(key: string): void {
    this.#young.delete(key);
    this.#old.delete(key);
  }

  deletePrefix(prefix: string): void {
    for (const map of [this.#young, this.#old]) for (const k of [...map.keys()]) if (k.startsWith(prefix)) map.delete(k);
  }
}
