import { lineageHeader } from './lineage.js';
import type { HeaderValue, MessageHeaders } from './record.js';

const EMPTY_HEADERS: { readonly [key: string]: HeaderValue } = Object.freeze({});

/** node-rdkafka's header list as one map (the last value of a repeated name wins). */
export function headerMap(list: MessageHeaders | undefined): { readonly [key: string]: HeaderValue } {
  if (list === undefined || list.length === 0) return EMPTY_HEADERS;
  const map: { [key: string]: HeaderValue } = {};
  for (const h of list) for (const k in h) map[k] = h[k];
  return map;
}

/**
 * An emission's headers as node-rdkafka's list (undefined when there are
 * none), with seda's lineage last when given: a stage or source cannot set
 * `seda.lineage` itself (downstream would trust it to skip records).
 */
export function headerList(map: { [key: string]: HeaderValue } | undefined, lineage?: string): MessageHeaders | undefined {
  const list: MessageHeaders = [];
  if (map !== undefined) for (const k in map) if (k !== lineageHeader) list.push({ [k]: map[k] });
  if (lineage !== undefined) list.push({ [lineageHeader]: lineage });
  return list.length > 0 ? list : undefined;
}
