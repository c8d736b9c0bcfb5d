import { expect } from 'chai';
import { bufferCodec, codecContract, jsonCodec, resolveCodec, stringCodec, type Codec } from '../src/index.js';

codecContract({
  describe,
  it,
  codec: jsonCodec,
  supports: {
    samples: [{ kwh: 1.5, ts: 1700000000000 }, [1, 'two', { three: 3 }], 'text', 42, true, { nested: { deep: [null] } }],
    // The last: valid JSON text but for one invalid UTF-8 byte inside the string (lenient decoding made it "\ufffd").
    invalid: [Buffer.from('{"kwh": 1'), Buffer.from('not json'), Buffer.from([0xff, 0xfe, 0x00]), Buffer.from([0x22, 0x61, 0xc3, 0x28, 0x22])],
    tombstones: true,
  },
});
// Invalid UTF-8 (a lone continuation byte, a truncated sequence, an overlong encoding) is refused, never turned into U+FFFD.
codecContract({ describe, it, codec: stringCodec, supports: { samples: ['meter1', '', 'ünïcödé ✓'], invalid: [Buffer.from([0x80]), Buffer.from([0x61, 0xe2, 0x82]), Buffer.from([0xc0, 0xaf])], tombstones: true } });
codecContract({ describe, it, codec: bufferCodec, supports: { samples: [Buffer.from([0, 1, 2, 255]), Buffer.alloc(0)], tombstones: true } });

const upper: Codec<string> = { name: 'upper', encode: (v) => Buffer.from(v.toUpperCase()), decode: (b) => (b ?? Buffer.alloc(0)).toString().toLowerCase() };
codecContract({ describe, it, codec: upper, supports: { samples: ['abc', 'meter1'] } });

describe('resolveCodec', () => {
  it('resolves built-in names and passes codec objects through', () => {
    expect(resolveCodec('json', 'string')).to.equal(jsonCodec);
    expect(resolveCodec(undefined, 'string')).to.equal(stringCodec);
    expect(resolveCodec(upper, 'json')).to.equal(upper);
  });

  for (const [what, spec] of [
    ['an unknown name', 'avro'],
    ['an object without decode', { encode: () => null }],
    ['a number', 3],
  ] as const) {
    it(`rejects ${what} with SEDA_CODEC_UNKNOWN`, () => {
      expect(() => resolveCodec(spec as never, 'json')).to.throw().with.property('code', 'SEDA_CODEC_UNKNOWN');
    });
  }
});
