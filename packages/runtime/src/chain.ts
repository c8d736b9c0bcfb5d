import { globalTableNames, globalTablesText, isSource, SedaError, type DeliveryMode, type Source, type Stage } from '@seda/core';

/** What a hop between two stages guarantees to the downstream stage's state. */
export interface Hop {
  from: string;
  to: string;
  /** The topics through which `from` feeds `to`. */
  topics: string[];
  /** `exactly-once`: every output of `from` is applied once by `to`; `at-least-once`: duplicates may be applied. */
  guarantee: 'exactly-once' | 'at-least-once';
  /** Why: what makes it exactly-once, or each thing that keeps it at-least-once. */
  reasons: string[];
}

/**
 * The guarantee of the hop `from -> to` when `to` runs in `mode`: it is
 * exactly-once when `to` runs exactly-once (so it deduplicates by lineage)
 * and is deterministic, and `from` is deterministic and stamps lineage (any
 * `defineStage` stage, in any mode). Otherwise at-least-once, with why.
 */
export function describeHop(from: Stage | Source, to: Stage, mode: DeliveryMode = to.mode): Hop {
  if (isSource(to as unknown)) {
    throw new SedaError('SEDA_RUNTIME_OPTIONS', `"${to.name}" is a source: it reads no topic, so it can only start a chain`);
  }
  const topics = Object.values(from.outputs)
    .map((o) => o.topic)
    .filter((t) => t === to.input.topic);
  if (topics.length === 0) {
    throw new SedaError(
      'SEDA_RUNTIME_OPTIONS',
      `stage "${from.name}" does not feed stage "${to.name}": "${from.name}" writes ${Object.values(from.outputs).map((o) => `"${o.topic}"`).join(', ') || 'no topic'}, "${to.name}" reads "${to.input.topic}"; list the stages of a chain in order`,
    );
  }
  const reasons: string[] = [];
  if (mode !== 'exactly-once') reasons.push(`"${to.name}" runs in mode "${mode}", which applies duplicates (run it with --mode exactly-once to skip them)`);
  if (!to.lineage) reasons.push(`"${to.name}" is a hand-written Transform: it cannot deduplicate by lineage`);
  if (!to.deterministic) reasons.push(`"${to.name}" ${notDeterministic(to)}: exactly-once is refused for it`);
  if (isSource(from)) {
    reasons.push(`"${from.name}" is a source: its records carry no lineage, so they are applied as they come (a re-run of it produces them again as new records)`);
  } else if (!from.lineage) reasons.push(`"${from.name}" is a hand-written Transform: its outputs carry no lineage`);
  else if (!from.deterministic) reasons.push(`"${from.name}" ${notDeterministic(from)}: a replay may emit other outputs under the same lineage`);
  if (reasons.length > 0) return { from: from.name, to: to.name, topics: [...new Set(topics)], guarantee: 'at-least-once', reasons };
  const why = [`"${to.name}" runs exactly-once and skips lineage it already applied`, `"${from.name}" is deterministic and stamps lineage on every output`];
  if (!to.hasState) why.push(`"${to.name}" keeps no state of its own: its own outputs are still at-least-once`);
  return { from: from.name, to: to.name, topics: [...new Set(topics)], guarantee: 'exactly-once', reasons: why };
}

/** Why a stage is not deterministic: it reads a global table, or declares so. */
function notDeterministic(stage: Stage): string {
  const globals = globalTableNames(stage.tables ?? {});
  return globals.length > 0 ? `reads ${globalTablesText(globals)} (not ordered with the stream)` : 'is not deterministic';
}

/**
 * The hops of a chain given in order (a source may start it), each
 * downstream stage in its mode (its default unless given).
 */
export function describeChain(links: Array<Stage | Source>, modes: { [stage: string]: DeliveryMode } = {}): Hop[] {
  const hops: Hop[] = [];
  for (let i = 1; i < links.length; i++) {
    const to = links[i];
    if (isSource(to)) throw new SedaError('SEDA_RUNTIME_OPTIONS', `"${to.name}" is a source: it reads no topic, so it can only start a chain`);
    hops.push(describeHop(links[i - 1], to, modes[to.name] ?? to.mode));
  }
  return hops;
}
