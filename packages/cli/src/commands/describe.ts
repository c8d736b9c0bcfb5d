import type { Command } from 'commander';
import { codecName, deliveryModes, lineageHeader, SedaError, type DeliveryMode, type Stage } from '@seda/core';
import { describeChain, loadStage, type Hop } from '@seda/runtime';

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
    if (w) {
      lines.push(
        `windows:  size ${w.size}${w.advance ? `, advance ${w.advance}` : ' (tumbling)'}, grace ${w.grace ?? 0}, emit ${w.emit ?? 'final'}, late ${w.late ?? 'dlq'}`,
      );
    }
  } else {
    lines.push('state:    none');
  }
  lines.push(`retry:    ${stage.retry.attempts} attempts, backoff ${stage.retry.backoffMs} ms (max ${stage.retry.maxBackoffMs} ms), then dead-letter`);
  return lines;
}

/** The lines `seda describe a b c` prints for a chain: each hop, its guarantee and why. */
export function describeChainLines(stages: Stage[], hops: Hop[], modes: { [stage: string]: DeliveryMode }): string[] {
  const lines = [`chain:    ${stages.map((s) => `${s.name} (${modes[s.name] ?? s.mode})`).join(' -> ')}`];
  for (const hop of hops) {
    lines.push(`hop:      ${hop.from} -> ${hop.to} via ${hop.topics.join(', ')}: ${hop.guarantee}`);
    for (const r of hop.reasons) lines.push(`            ${hop.guarantee === 'exactly-once' ? '+' : '-'} ${r}`);
  }
  return lines;
}

function stageJson(stage: Stage): object {
  return {
    name: stage.name,
    description: stage.description,
    input: { topic: stage.input.topic, keyCodec: codecName(stage.input.keyCodec), codec: codecName(stage.input.codec) },
    outputs: Object.fromEntries(Object.entries(stage.outputs).map(([n, o]) => [n, { topic: o.topic, keyCodec: codecName(o.keyCodec), codec: codecName(o.codec) }])),
    dlqTopic: stage.dlqTopic,
    mode: stage.mode,
    deterministic: stage.deterministic,
    lineage: stage.lineage,
    state: stage.state ? { codec: codecName(stage.state.codec), windows: stage.state.windows } : null,
    retry: stage.retry,
  };
}

/** Parses `--mode <stage>=<mode>` pairs against the stages of the chain. */
function parseModes(pairs: string[], stages: Stage[]): { [stage: string]: DeliveryMode } {
  const modes: { [stage: string]: DeliveryMode } = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const mode = pair.slice(eq + 1) as DeliveryMode;
    if (eq <= 0 || !deliveryModes.includes(mode)) {
      throw new SedaError('SEDA_RUNTIME_OPTIONS', `--mode "${pair}" is not <stage>=<mode> with a mode among ${deliveryModes.join(', ')}, e.g. --mode billing=exactly-once`);
    }
    if (!stages.some((s) => s.name === name)) {
      throw new SedaError('SEDA_RUNTIME_OPTIONS', `--mode "${pair}" names no stage of this chain (${stages.map((s) => s.name).join(', ')})`);
    }
    modes[name] = mode;
  }
  return modes;
}

/** `seda describe <stage> [more stages...]`: a stage's input, outputs, codecs, mode and state; for a chain, each hop's guarantee. */
export function registerDescribeCommand(program: Command): void {
  program
    .command('describe')
    .description("print a stage's input, outputs, codecs, delivery mode and state needs; given a chain of stages in order, which hops are exactly-once and why")
    .argument('<stages...>', 'stage names, paths or packages; several: a chain, upstream first')
    .option('--mode <stage=mode>', 'for a chain: the mode a stage runs in, if not its default (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--json', 'print JSON')
    .option('--verbose', 'print stack traces of errors')
    .action(async (specs: string[], flags: { json?: boolean; mode?: string[] }) => {
      const stages: Stage[] = [];
      for (const spec of specs) stages.push(await loadStage(spec));
      const modes = parseModes(flags.mode ?? [], stages);
      if (stages.length === 1 && flags.mode === undefined) {
        const [stage] = stages;
        process.stdout.write(flags.json ? `${JSON.stringify(stageJson(stage), null, 2)}\n` : `${describeStage(stage).join('\n')}\n`);
        return;
      }
      const hops = describeChain(stages, modes);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ stages: stages.map(stageJson), modes, hops }, null, 2)}\n`);
      } else {
        process.stdout.write(`${describeChainLines(stages, hops, modes).join('\n')}\n`);
      }
    });
}
