import assert from 'node:assert/strict';
import type { Codec } from './codec.js';

/** What a codec under test supports; optional tests switch on these. */
export interface CodecSupports {
  /** Values that must survive encode -> decode unchanged (deep equality). */
  samples: unknown[];
  /** Byte strings decode must reject (throw), e.g. invalid JSON. */
  invalid?: Buffer[];
  /** Whether null encodes to a null payload (a tombstone) and back. */
  tombstones?: boolean;
}

/**
 * The codec contract, run against every codec implementation (built-in or a
 * plugin's), abstract-level style: pass your test functions and the codec.
 *
 * @example
 * codecContract({ describe, it, codec: jsonCodec, supports: { samples: [{ a: 1 }], invalid: [Buffer.from('{')] } });
 */
export function codecContract(options: {
  describe: (name: string, fn: () => void) => void;
  it: (name: string, fn: () => void | Promise<void>) => void;
  codec: Codec<any>;
  supports: CodecSupports;
}): void {
  const { describe, it, codec, supports } = options;
  describe(`codec contract: ${codec.name ?? 'custom'}`, () => {
    it('round-trips every sample value', () => {
      for (const sample of supports.samples) {
        const bytes = codec.encode(sample);
        assert.ok(bytes === null || Buffer.isBuffer(bytes), 'encode returns a Buffer or null');
        assert.deepEqual(codec.decode(bytes), sample);
      }
    });
    it('encodes to bytes that decode the same way twice (deterministic)', () => {
      for (const sample of supports.samples) {
        const a = codec.encode(sample);
        const b = codec.encode(sample);
        assert.deepEqual(a, b);
      }
    });
    if (supports.invalid && supports.invalid.length > 0) {
      it('throws on bytes it cannot read (the record becomes a dead letter)', () => {
        for (const bytes of supports.invalid!) assert.throws(() => codec.decode(bytes));
      });
    }
    if (supports.tombstones) {
      it('keeps null as a null payload (tombstone)', () => {
        assert.equal(codec.encode(null), null);
        assert.equal(codec.decode(null), null);
      });
    }
  });
}
