// Bench stage for the soak: a deliberately slow sink. Every record is written
// to a simulated external system that takes SEDA_SOAK_WRITE_MS (default 2 ms)
// per write, then passed on to output "out": the stage spends most of its time
// waiting, with its input held back by backpressure, for as long as the soak runs.
import { defineStage } from '@seda/core';

const writeMs = Number(process.env.SEDA_SOAK_WRITE_MS ?? 2);
const write = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, writeMs));

export default defineStage({
  name: 'bench-slow-sink',
  input: { topic: 'bench-in', codec: 'buffer', keyCodec: 'buffer' },
  outputs: { out: { topic: 'bench-out', codec: 'buffer', keyCodec: 'buffer' } },
  async process(record, ctx) {
    await write();
    ctx.emit('out', { key: record.key, value: record.value });
  },
});
