// Bench stage: passes every record on unchanged after ~100 µs of CPU work
// (a chain of SHA-256 digests of its value), so that the stage, not the
// broker or the load generator, is what a machine's cores are busy with.
import { createHash } from 'node:crypto';
import { defineStage } from '@seda/core';

const ROUNDS = Number(process.env.SEDA_BENCH_CPU_ROUNDS ?? 60);

export default defineStage({
  name: 'bench-cpu-work',
  input: { topic: 'bench-in', codec: 'buffer', keyCodec: 'buffer' },
  outputs: { out: { topic: 'bench-out', codec: 'buffer', keyCodec: 'buffer' } },
  process(record, ctx) {
    let digest = record.value as Buffer;
    for (let i = 0; i < ROUNDS; i++) digest = createHash('sha256').update(digest).digest();
    if (digest.length !== 32) throw new Error('unreachable');
    ctx.emit('out', { value: record.value });
  },
});
