import type { Command } from 'commander';
import { codecName, describeOptions, isSource, type OptionsSchema, type Source, type Stage } from '@seda/core';
import { loadPlugin } from '@seda/runtime';

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
  lines.push(...optionLines(stage.options));
  return lines;
}

/** `seda describe <stage>`: input, outputs, codecs, mode and state needs. */
export function registerDescribeCommand(program: Command): void {
  program
    .command('describe')
    .description('print a stage\'s input, outputs, codecs, delivery mode, state needs and options (or a source\'s outputs and options)')
    .argument('<stage>', 'stage name, path or package')
    .option('--json', 'print JSON')
    .option('--verbose', 'print stack traces of errors')
    .action(async (spec: string, flags: { json?: boolean }) => {
      const plugin = await loadPlugin(spec);
      if (isSource(plugin)) {
        if (flags.json) {
          const outputs = Object.fromEntries(Object.entries(plugin.outputs).map(([n, o]) => [n, { topic: o.topic, keyCodec: codecName(o.keyCodec), codec: codecName(o.codec) }]));
          process.stdout.write(`${JSON.stringify({ kind: 'source', name: plugin.name, description: plugin.description, outputs, options: plugin.options }, null, 2)}\n`);
        } else {
          process.stdout.write(`${describeSource(plugin).join('\n')}\n`);
        }
        return;
      }
      const stage = plugin;
      if (flags.json) {
        const out = {
          name: stage.name,
          description: stage.description,
          input: { topic: stage.input.topic, keyCodec: codecName(stage.input.keyCodec), codec: codecName(stage.input.codec) },
          outputs: Object.fromEntries(Object.entries(stage.outputs).map(([n, o]) => [n, { topic: o.topic, keyCodec: codecName(o.keyCodec), codec: codecName(o.codec) }])),
          dlqTopic: stage.dlqTopic,
          mode: stage.mode,
          deterministic: stage.deterministic,
          state: stage.state ? { codec: codecName(stage.state.codec), windows: stage.state.windows } : null,
          retry: stage.retry,
          options: stage.options,
        };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      } else {
        process.stdout.write(`${describeStage(stage).join('\n')}\n`);
      }
    });
}
