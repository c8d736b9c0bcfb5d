// Bench stage: passes every record to output "out" unchanged (bytes in,
// bytes out, the input key kept): what a stage costs when its own work is nil.
import { defineStage } from '@seda/core';

export default defineStage({
  name: 'bench-identity',
  input: { topic: 'bench-in', codec: 'buffer', keyCodec: 'buffer' },
  outputs: { out: { topic: 'bench-out', codec: 'buffer', keyCodec: 'buffer' } },
  process(record, ctx) {
    ctx.emit('out', { value: record.value });
  },
});
