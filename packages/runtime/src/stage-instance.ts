import { globalTableNames, globalTablesText, resolveOptions, SedaError, type DeliveryMode, type Stage } from '@seda/core';

/** A stage instance resolved from its definition and the run's options, checked once. */
export interface StageInstance {
  mode: DeliveryMode;
  group: string;
  /** State modes (`state`, `exactly-once`): offsets are kept with the state. */
  stateful: boolean;
  /** The topics it reads and writes, overrides applied. */
  topics: { input: string; outputs: { [output: string]: string }; dlq: string };
  /** Each declared table's topic, overrides applied (empty without tables). */
  tableTopics: { [table: string]: string };
  /** The stage's declared options, resolved. */
  options: { readonly [name: string]: unknown };
}

/** What {@link resolveInstance} reads of the run's options. */
export interface InstanceOptions {
  group?: string;
  mode?: DeliveryMode;
  input?: string;
  outputs?: { [name: string]: string };
  /** Table topic overrides by table name. */
  tables?: { [name: string]: string };
  dlqTopic?: string;
  options?: { readonly [name: string]: unknown };
}

/**
 * Fails with `SEDA_RUNTIME_MODE` when `stage` cannot run in `mode`: a
 * stateful stage outside the state modes, or `exactly-once` for a stage
 * that is not deterministic or is a hand-written Transform (no lineage).
 * Needs nothing but the definition, so a CLI can refuse before it opens
 * state or reaches Kafka.
 */
export function checkMode(stage: Stage, mode: DeliveryMode): void {
  if (stage.hasState && mode !== 'state' && mode !== 'exactly-once') {
    throw new SedaError('SEDA_RUNTIME_MODE', `stage "${stage.name}" keeps state, so it runs in mode "state" or "exactly-once", not "${mode}"`);
  }
  const globals = globalTableNames(stage.tables ?? {});
  if (mode === 'exactly-once' && globals.length > 0) {
    throw new SedaError(
      'SEDA_RUNTIME_MODE',
      `stage "${stage.name}" reads ${globalTablesText(globals)}, which is not ordered with the stream, so a replay may emit other outputs; it cannot run exactly-once. Use mode "state", or make the table co-partitioned (drop "global: true")`,
    );
  }
  if (mode === 'exactly-once' && !stage.deterministic) {
    throw new SedaError(
      'SEDA_RUNTIME_MODE',
      `stage "${stage.name}" declares deterministic: false, so a replay may emit other outputs; it cannot run exactly-once. Use mode "state"`,
    );
  }
  if (mode === 'exactly-once' && !stage.lineage) {
    throw new SedaError(
      'SEDA_RUNTIME_MODE',
      `stage "${stage.name}" is a hand-written Transform: it neither reads nor writes lineage, so it cannot run exactly-once. Define it with defineStage, or use mode "state"`,
    );
  }
}

/**
 * Resolves a stage instance: mode, group, topics (overrides applied) and the
 * stage's options; fails before anything connects when one is wrong.
 */
export function resolveInstance(stage: Stage, options: InstanceOptions): StageInstance {
  const mode: DeliveryMode = options.mode ?? stage.mode;
  const group = options.group ?? stage.name;
  const input = options.input ?? stage.input.topic;
  if (!input) throw new SedaError('SEDA_RUNTIME_OPTIONS', `stage "${stage.name}" has no input topic: pass --input <topic>`);
  const stateful = mode === 'state' || mode === 'exactly-once';
  checkMode(stage, mode);
  for (const name of Object.keys(options.outputs ?? {})) {
    if (!(name in stage.outputs)) {
      throw new SedaError(
        'SEDA_RUNTIME_OPTIONS',
        `stage "${stage.name}" has no output "${name}"; its outputs are: ${Object.keys(stage.outputs).join(', ') || '(none)'}`,
      );
    }
  }
  const declared = stage.tables ?? {};
  for (const name of Object.keys(options.tables ?? {})) {
    if (!(name in declared)) {
      throw new SedaError(
        'SEDA_RUNTIME_OPTIONS',
        `stage "${stage.name}" has no table "${name}" (--table ${name}=...); its tables are: ${Object.keys(declared).join(', ') || '(none)'}`,
      );
    }
  }
  const tableTopics = Object.fromEntries(Object.entries(declared).map(([name, t]) => [name, options.tables?.[name] ?? t.topic]));
  const stageOptions = resolveOptions(stage.options, options.options, stage.name);
  const outputs = Object.fromEntries(Object.entries(stage.outputs).map(([name, o]) => [name, options.outputs?.[name] ?? o.topic]));
  const dlq = options.dlqTopic ?? (options.input ? `${options.input}.dlq` : stage.dlqTopic);
  return { mode, group, stateful, topics: { input, outputs, dlq }, tableTopics, options: stageOptions };
}
