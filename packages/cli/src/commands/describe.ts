import type { Command } from 'commander';
import { codecName, deliveryModes, describeOptions, isSessionSpec, isSource, lineageHeader, SedaError, splitKeyValue, type DeliveryMode, type OptionsSchema, type Source, type Stage } from '@seda/core';
import { describeChain, loadPlugin, type Hop } from '@seda/runtime';

function optionLines(schema: OptionsSchema): string[] {
  const lines = describeOptions(schema);
  if (lines.length === 0) return ['options:  none'];
  return lines.map((l, i) => `${i === 0 ? 'options: ' : '         '} ${l}`);
}

/** The lines `seda describe` prints for a source. */
export function describeSource(source: Source): string[] {
  const lines = [`source:   ${source.name}${source.description ? ` — ${source.description}` : ''}`];
  for (const [i, [name, o]] of Object.entries(source.outputs).entries()) {
    lines.push(`${i === 0 ? 'outputs:' : '         '}  ${name} -> ${o.topic} (key ${codecName(o.keyCodec)}, value ${codecName(o.codec)})`);
  }
  lines.push(...optionLines(source.options));
  lines.push('delivery: the run exits 0 only once the broker acknowledged every record');
  lines.push('lineage:  none: its records are new records to the stages downstream (applied as they come)');
  return lines;
}

/** The lines `seda describe` prints for a stage. */
export function describeStage(stage: Stage): string[] {
  const lines = [`stage:    ${stage.name}${stage.description ? ` — ${stage.description}` : ''}`];
  lines.push(`input:    ${stage.input.topic || '(given with --input)'} (key ${codecName(stage.input.keyCodec)}, value ${codecName(stage.input.codec)})`);
  const outputs = Object.entries(stage.outputs);
  if (outputs.length === 0) lines.push('outputs:  (none)');
  for (const [i, [name, o]] of outputs.entries()) {
    lines.push(`${i === 0 ? 'outputs:' : '         '}  ${name} -> ${o.topic} (key ${codecName(o.keyCodec)}, value ${codecName(o.codec)})`);
  }
  lines.push(`dlq:      ${stage.dlqTopic}`);
  lines.push(`mode:     ${stage.mode}${stage.deterministic ? '' : ' (not deterministic: exactly-once refused)'}`);
  lines.push(
    `lineage:  ${
      stage.lineage
        ? `${lineageHeader} on every output; ${stage.deterministic ? 'can run exactly-once (skips lineage it already applied)' : 'not deterministic, so downstream hops from it are at-least-once'}`
        : 'none (hand-written Transform): hops from it are at-least-once, and it cannot run exactly-once'
    }`,
  );
  if (stage.state) {
    const w = stage.state.windows;
    lines.push(`state:    LevelDB, values ${codecName(stage.state.codec)}, offsets stored with state`);
    if (w && isSessionSpec(w)) {
      lines.push(`windows:  sessions, gap ${w.session.gap}, grace ${w.session.grace ?? 0}, emit final, late ${w.session.late ?? 'dlq'}`);
    } else if (w) {
      lines.push(
        `windows:  size ${w.size}${w.advance ? `, advance ${w.advance}` : ' (tumbling)'}, grace ${w.grace ?? 0}, emit ${w.emit ?? 'final'}, late ${w.late ?? 'dlq'}`,
      );
    }
  } else {
    lines.push('state:    none');
  }
  for (const [i, [name, t]] of Object.entries(stage.tables ?? {}).entries()) {
    const how = t.global
      ? 'global: every partition, in memory; not ordered with the stream, so a replay may join against other contents (outputs may differ under the same lineage)'
      : 'co-partitioned: joined in timestamp order, kept with the state';
    lines.push(`${i === 0 ? 'tables:' : '       '}   ${name} <- ${t.topic} (value ${codecName(t.codec)}; ${how})`);
  }
  lines.push(`retry:    ${stage.retry.attempts} attempts, backoff ${stage.retry.backoffMs} ms (max ${stage.retry.maxBackoffMs} ms), then dead-letter`);
  lines.push(...optionLines(stage.options));
  return lines;
}

/** The lines `seda describe a b c` prints for a chain: each hop, its guarantee and why. */
export function describeChainLines(links: Array<Stage | Source>, hops: Hop[], modes: { [stage: string]: DeliveryMode }): string[] {
  const label = (p: Stage | Source): string => (isSource(p) ? `${p.name} (source)` : `${p.name} (${modes[p.name] ?? p.mode})`);
  const lines = [`chain:    ${links.map(label).join(' -> ')}`];
  for (const hop of hops) {
    lines.push(`hop:      ${hop.from} -> ${hop.to} via ${hop.topics.join(', ')}: ${hop.guarantee}`);
    for (const r of hop.reasons) lines.push(`            ${hop.guarantee === 'exactly-once' ? '+' : '-'} ${r}`);
  }
  return lines;
}

function outputsJson(outputs: Stage['outputs']): object {
  return Object.fromEntries(Object.entries(outputs).map(([n, o]) => [n, { topic: o.topic, keyCodec: codecName(o.keyCodec), codec: codecName(o.codec) }]));
}

function pluginJson(p: Stage | Source): object {
  if (isSource(p)) return { kind: 'source', name: p.name, description: p.description, outputs: outputsJson(p.outputs), options: p.options };
  return {
    name: p.name,
    description: p.description,
    input: { topic: p.input.topic, keyCodec: codecName(p.input.keyCodec), codec: codecName(p.input.codec) },
    outputs: outputsJson(p.outputs),
    dlqTopic: p.dlqTopic,
    mode: p.mode,
    deterministic: p.deterministic,
    lineage: p.lineage,
    state: p.state ? { codec: codecName(p.state.codec), windows: p.state.windows } : null,
    tables: Object.fromEntries(Object.entries(p.tables ?? {}).map(([n, t]) => [n, { topic: t.topic, keyCodec: codecName(t.keyCodec), codec: codecName(t.codec), global: t.global }])),
    retry: p.retry,
    options: p.options,
  };
}

/** Parses `--mode <stage>=<mode>` pairs against the stages of the chain. */
function parseModes(pairs: string[], links: Array<Stage | Source>): { [stage: string]: DeliveryMode } {
  const modes: { [stage: string]: DeliveryMode } = {};
  const stages = links.filter((p): p is Stage => !isSource(p));
  for (const pair of pairs) {
    const kv = splitKeyValue(pair);
    const name = kv?.key ?? '';
    const mode = kv?.value as DeliveryMode;
    if (kv === undefined || !deliveryModes.includes(mode)) {
      throw new SedaError('SEDA_RUNTIME_OPTIONS', `--mode "${pair}" is not <stage>=<mode> with a mode among ${deliveryModes.join(', ')}, e.g. --mode billing=exactly-once`);
    }
    if (!stages.some((s) => s.name === name)) {
      throw new SedaError('SEDA_RUNTIME_OPTIONS', `--mode "${pair}" names no stage of this chain (${stages.map((s) => s.name).join(', ')})`);
    }
    modes[name] = mode;
  }
  return modes;
}

/**
 * `seda describe <stage|source> [more stages...]`: a stage's input, outputs,
 * codecs, mode, state and options (or a source's outputs and options); for a
 * chain, upstream first, each hop's guarantee and why.
 */
export function registerDescribeCommand(program: Command): void {
  program
    .command('describe')
    .description(
      "print a stage's input, outputs, codecs, delivery mode, state needs and options (or a source's outputs and options); given a chain in order, which hops are exactly-once and why",
    )
    .argument('<stages...>', 'stage (or source) names, paths or packages; several: a chain, upstream first')
    .option('--mode <stage=mode>', 'for a chain: the mode a stage runs in, if not its default (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--json', 'print JSON')
    .option('--verbose', 'print stack traces of errors')
    .action(async (specs: string[], flags: { json?: boolean; mode?: string[] }) => {
      const links: Array<Stage | Source> = [];
      for (const spec of specs) links.push(await loadPlugin(spec));
      const modes = parseModes(flags.mode ?? [], links);
      if (links.length === 1 && flags.mode === undefined) {
        const [p] = links;
        if (flags.json) process.stdout.write(`${JSON.stringify(pluginJson(p), null, 2)}\n`);
        else process.stdout.write(`${(isSource(p) ? describeSource(p) : describeStage(p)).join('\n')}\n`);
        return;
      }
      const hops = describeChain(links, modes);
      if (flags.json) process.stdout.write(`${JSON.stringify({ stages: links.map(pluginJson), modes, hops }, null, 2)}\n`);
      else process.stdout.write(`${describeChainLines(links, hops, modes).join('\n')}\n`);
    });
}
