import { SedaError } from './errors.js';
import { tpKey } from './partition-key.js';
import type { StateProvider } from './state.js';
import { inBounds, PartitionOverlay, type ChangeSet } from './state-overlay.js';

interface MemoryPartition {
  data: Map<string, unknown>;
  offset: number | undefined;
  overlay: PartitionOverlay<unknown>;
}

/** The in-memory state store: what the test driver runs stages on. */
export interface MemoryStateProvider extends StateProvider {
  /** Committed entries of a partition, in key order. */
  entries(topic: string, partition: number): Array<[string, unknown]>;
  /** Partitions with committed state or offsets. */
  partitions(): Array<{ topic: string; partition: number; offset: number | undefined; keys: number }>;
}

const copy = <T>(value: T): T => structuredClone(value);

/**
 * Creates an in-memory {@link StateProvider}. It behaves like the LevelDB
 * store (same contract suite): values are copied on put and get, reads see
 * pending batches, and a commit applies changes and offset together.
 */
export function createMemoryState(): MemoryStateProvider {
  const parts = new Map<string, MemoryPartition>();
  let closed = false;

  const part = (topic: string, partition: number): MemoryPartition => {
    if (closed) throw new SedaError('SEDA_STATE_CLOSED', 'the state store is closed');
    const key = tpKey(topic, partition);
    let p = parts.get(key);
    if (p === undefined) {
      const data = new Map<string, unknown>();
      const reader = {
        get: (k: string) => (data.has(k) ? copy(data.get(k)) : undefined),
        *range(bounds: { gte?: string; gt?: string; lte?: string; lt?: string }): Iterable<[string, unknown]> {
          for (const k of [...data.keys()].sort()) if (inBounds(k, bounds)) yield [k, copy(data.get(k))];
        },
      };
      p = { data, offset: undefined, overlay: new PartitionOverlay<unknown>(topic, partition, reader, copy, copy) };
      parts.set(key, p);
    }
    return p;
  };

  return {
    begin: (topic, partition) => part(topic, partition).overlay.begin(),
    async commit(topic, partition, changes, nextOffset) {
      const p = part(topic, partition);
      const cs = changes as ChangeSet<unknown> | undefined;
      if (cs !== undefined) {
        p.overlay.shift(cs);
        for (const [k, w] of cs.writes) {
          if (w === null) p.data.delete(k);
          else p.data.set(k, w.value);
        }
      }
      p.offset = nextOffset;
    },
    async storedOffset(topic, partition) {
      return part(topic, partition).offset;
    },
    async release(topic, partition) {
      // Memory is one owner's: committed state simply stays.
      part(topic, partition).overlay.pending.length = 0;
    },
    async close() {
      closed = true;
    },
    entries(topic, partition) {
      const p = part(topic, partition);
      return [...p.data.keys()].sort().map((k) => [k, copy(p.data.get(k))] as [string, unknown]);
    },
    partitions() {
      return [...parts.values()]
        .filter((p) => p.offset !== undefined || p.data.size > 0)
        .map((p) => ({ topic: p.overlay.topic, partition: p.overlay.partition, offset: p.offset, keys: p.data.size }));
    },
  };
}
