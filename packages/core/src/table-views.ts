import { SedaError } from './errors.js';
import type { StateStore } from './state.js';
import { tableValueKey, type TableInfo, type TableSource, type TableView } from './tables.js';

/**
 * The `ctx.tables` of one partition's context: a co-partitioned table reads
 * the partition's state batch in progress (which holds the table records
 * applied so far), a global one asks the source.
 */
export function tableViews(tables: { [name: string]: TableInfo }, source: TableSource, state: () => StateStore | undefined): { [name: string]: TableView } {
  const views: { [name: string]: TableView } = {};
  for (const [name, info] of Object.entries(tables)) {
    views[name] = info.global
      ? { get: async (key) => source.lookup(name, String(key)) }
      : {
          get: (key) => {
            const s = state();
            if (s === undefined) return Promise.reject(new SedaError('SEDA_STAGE_PROCESS', `ctx.tables.${name}.get() was called outside process()`));
            return s.get(tableValueKey(name, String(key)));
          },
        };
  }
  return Object.freeze(views);
}
