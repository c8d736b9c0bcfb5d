import { SedaError } from './errors.js';
import type { StateStore } from './state.js';
import { TableQueue } from './table-queue.js';
import { applyTableRecord, type TableInfo, type TableSource } from './tables.js';

/** A table record given to the test driver. */
export interface TestTableRecord {
  key: string;
  /** The value, decoded; null deletes the key. */
  value: unknown;
  /** Its timestamp; 0 by default (applied before every input record). */
  timestamp?: number;
  /** Co-partitioned tables: the partition; by default the one the driver gives the key. */
  partition?: number;
}

/**
 * The test driver's {@link TableSource}: every table record is known up
 * front, so co-partitioned tables are applied by the same timestamp rule as
 * in the runtime (never waiting), and global tables hold every value at once.
 */
export function memoryTables(
  tables: { [name: string]: TableInfo },
  given: { readonly [name: string]: readonly TestTableRecord[] } | undefined,
  partitionOf: (key: string) => number,
): TableSource {
  for (const name of Object.keys(given ?? {})) {
    if (tables[name] === undefined) throw new SedaError('SEDA_STAGE_NO_TABLES', `test driver: the stage declares no table "${name}" (its tables: ${Object.keys(tables).join(', ') || 'none'})`);
  }
  const queues = new Map<number, Array<[string, TableQueue]>>();
  const globals = new Map<string, Map<string, unknown>>();
  for (const [name, info] of Object.entries(tables)) {
    const records = given?.[name] ?? [];
    if (info.global) {
      const values = new Map<string, unknown>();
      for (const r of records) if (r.value === null) values.delete(r.key); else values.set(r.key, r.value);
      globals.set(name, values);
      continue;
    }
    const byPartition = new Map<number, TableQueue>();
    records.forEach((r, offset) => {
      const p = r.partition ?? partitionOf(r.key);
      let q = byPartition.get(p);
      if (q === undefined) {
        q = new TableQueue(0);
        byPartition.set(p, q);
        queues.set(p, [...(queues.get(p) ?? []), [name, q]]);
      }
      q.push({ offset, timestamp: r.timestamp ?? 0, key: r.key, value: r.value });
    });
  }
  return {
    ready: () => undefined,
    advance(topic: string, partition: number, timestamp: number, state: StateStore) {
      for (const [name, q] of queues.get(partition) ?? []) for (const r of q.take(timestamp)) applyTableRecord(state, name, r);
    },
    lookup: (table, key) => globals.get(table)?.get(key),
  };
}
