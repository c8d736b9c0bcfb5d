import { defineScenario, ratioInfo, stageInput, userInputPipeline, type ScenarioContext } from '../src/index.js';
import type { LoadRecord } from '../src/load/generator.js';

/** The input, loaded once per scenario run (a generator module is imported once). */
const inputs = new Map<string, Promise<((seq: number) => LoadRecord) | undefined>>();
function inputOf(ctx: ScenarioContext): Promise<((seq: number) => LoadRecord) | undefined> {
  const key = JSON.stringify(ctx.options.input);
  let input = inputs.get(key);
  if (input === undefined) inputs.set(key, (input = stageInput(ctx.options.input)));
  return input;
}

/**
 * stage: YOUR stage (`seda bench --stage ./my-stage.js`), run as `seda run`
 * runs it, over generated input (`--sample` records in a loop, a
 * `--generator` module, or meter readings), next to the raw node-rdkafka
 * passthrough of the same input in the same run.
 */
export default defineScenario({
  name: 'stage',
  description: 'your stage (--stage) over generated input, next to the raw node-rdkafka passthrough of the same input',
  systems: [
    { id: 'raw', label: 'raw node-rdkafka passthrough', baseline: true },
    { id: 'stage', label: 'your stage (seda)' },
  ],
  defaults: { messages: 200_000, quickMessages: 50_000 },
  latencyPhase: false,
  async measure(ctx, system) {
    const record = await inputOf(ctx);
    if (system.id === 'stage') return userInputPipeline(ctx, { id: 'stage', kind: 'seda-stage', stagePath: ctx.options.stages.user }, record);
    return userInputPipeline(ctx, { id: 'raw', kind: 'raw-passthrough' }, record);
  },
  targets: [ratioInfo('your stage / raw passthrough of the same input (msg/s)', 'stage', 'raw', 'msgsPerSec')],
  notes: [
    'throughput: input records per second, from the moment the system had consumed the warm-up until it had consumed every input and its last output arrived; outputs are counted, not checked (only your stage knows what it emits)',
    'input: --sample records written over and over, or --generator (seq) => ({ key, value }), or meter readings (JSON {kwh, ts, n} keyed by meter); keyed records go to the partition of a hash of their key',
  ],
});
