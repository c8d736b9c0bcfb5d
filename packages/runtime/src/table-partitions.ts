import { SedaError, type TableInfo } from '@seda/core';

/**
 * Refuses a co-partitioned table whose topic has another partition count
 * than the input: partition `p` of the table must hold the keys of input
 * partition `p`. One error naming every table that does not fit.
 */
export function checkCoPartitioned(stage: string, tables: ReadonlyArray<[name: string, table: TableInfo]>, input: string, partitions: { readonly [topic: string]: number }): void {
  const want = partitions[input];
  if (want === undefined) return;
  const wrong = tables.filter(([, t]) => !t.global && partitions[t.topic] !== undefined && partitions[t.topic] !== want);
  if (wrong.length === 0) return;
  const which = wrong.map(([name, t]) => `table "${name}" reads topic "${t.topic}" with ${partitions[t.topic]} partition(s)`).join('; ');
  throw new SedaError(
    'SEDA_RUNTIME_TABLE_PARTITIONS',
    `stage "${stage}": ${which}, but its input "${input}" has ${want}: a co-partitioned table needs the input's partition count (and the same key partitioner); ` +
      `recreate the table topic with ${want} partitions, or declare the table global: true`,
  );
}
