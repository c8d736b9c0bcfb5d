import { resolveCodec, type Codec, type CodecSpec } from './codec.js';
import type { StateStore } from './state.js';

/**
 * A table a stage reads: a compacted topic materialized as key -> latest
 * value (see docs/tables.md). Co-partitioned by default: partition `p` of the
 * table is joined with partition `p` of the input, in timestamp order, and
 * kept in the partition's state store.
 */
export interface TableSpec {
  topic: string;
  /** Value codec; `json` by default. */
  codec?: CodecSpec;
  /** Key codec; `string` by default. Lookups use `String(key)`. */
  keyCodec?: CodecSpec;
  /**
   * Every instance reads every partition of the topic and keeps it in memory,
   * for lookups by something other than the input key. Not joined in
   * timestamp order: a replay may see other table contents.
   */
  global?: boolean;
}

/** A table as resolved by `defineStage`. */
export interface TableInfo {
  topic: string;
  codec: Codec<any>;
  keyCodec: Codec<any>;
  global: boolean;
}

/** What `ctx.tables.<name>` offers. */
export interface TableView<V = unknown> {
  /** The table's value for `key` as of the record being processed (co-partitioned), or as last read (global). */
  get(key: unknown): Promise<V | undefined>;
}

/** A table record ready to apply: key as a string, value decoded. */
export interface TableRecord {
  offset: number;
  timestamp: number;
  key: string;
  /** The decoded value; null: the key was deleted (a tombstone); undefined: undecodable, only the position moves past it. */
  value: unknown;
}

/**
 * What the runtime (or the test driver) gives a stage with tables: it feeds
 * co-partitioned tables in timestamp order into the partition's state batch
 * and answers global lookups.
 */
export interface TableSource {
  /**
   * Resolves once it is known which table records of the partition come
   * before a stream record stamped `maxTimestamp` (fetched, or none there);
   * `undefined` when that is known already.
   */
  ready(topic: string, partition: number, maxTimestamp: number): Promise<void> | undefined;
  /** Writes into `state` the table records to apply before a stream record stamped `timestamp`. */
  advance(topic: string, partition: number, timestamp: number, state: StateStore): void;
  /** A global table's value for `key`. */
  lookup(table: string, key: string): unknown;
}

/** Every key seda keeps for co-partitioned tables in a partition's state starts with this (kept out of the changelog: tables restore from their topic). */
export const tableKeyPrefix = '\u0000t';

/** The state key of a table entry. */
export const tableValueKey = (table: string, key: string): string => `${tableKeyPrefix}\u0000${table}\u0000${key}`;

/** The state key of a table's applied position (the next table offset to apply). */
export const tablePositionKey = (table: string): string => `${tableKeyPrefix}\u0001${table}`;

/** True for a state key that belongs to a co-partitioned table. */
export const isTableKey = (key: string): boolean => key.startsWith(tableKeyPrefix);

/** Writes a table record into a partition's state: its value, or its deletion, and the position after it. */
export function applyTableRecord(state: StateStore, table: string, r: TableRecord): void {
  if (r.value === null) state.del(tableValueKey(table, r.key));
  else if (r.value !== undefined) state.put(tableValueKey(table, r.key), r.value);
  state.put(tablePositionKey(table), r.offset + 1);
}

/** Checks and resolves a definition's `tables`; problems are appended to `problems`. */
export function resolveTables(tables: { [name: string]: TableSpec } | undefined, problems: string[]): { [name: string]: TableInfo } {
  const out: { [name: string]: TableInfo } = {};
  for (const [name, spec] of Object.entries(tables ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) problems.push(`table name "${name}" must be letters, digits, _ or -`);
    if (!spec || typeof spec.topic !== 'string' || spec.topic === '') {
      problems.push(`table "${name}" needs a "topic"`);
      continue;
    }
    if (spec.global !== undefined && typeof spec.global !== 'boolean') problems.push(`table "${name}": "global" must be true or false`);
    try {
      out[name] = { topic: spec.topic, codec: resolveCodec(spec.codec, 'json', `table "${name}" codec`), keyCodec: resolveCodec(spec.keyCodec, 'string', `table "${name}" keyCodec`), global: spec.global === true };
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  return out;
}

/** The names of the global tables among `tables` (a stage reading one is not deterministic: see docs/tables.md). */
export function globalTableNames(tables: { [name: string]: { global?: boolean } }): string[] {
  return Object.keys(tables).filter((t) => tables[t].global === true);
}

/** `global table "a"` or `global tables "a", "b"`, for messages. */
export function globalTablesText(names: string[]): string {
  return `global table${names.length > 1 ? 's' : ''} ${names.map((n) => `"${n}"`).join(', ')}`;
}
