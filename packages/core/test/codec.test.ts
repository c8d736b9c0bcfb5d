import { expect } from 'chai';
import { bufferCodec, codecContract, jsonCodec, resolveCodec, stringCodec, type Codec } from '../src/index.js';

codecContract({
  describe,
  it,
  codec: jsonCodec,
  supports: {
    samples: [{ kwh: 1.5, ts: 1700000000000 }, [1, 'two', { three: 3 }], 'text', 42, true, { nested: { deep: [null] } }],
    invalid: [Buffer.from('{"kwh": 1'), Buffer.from('not json'), Buffer.from([0xff, 0xfe, 0x00])],
    tombstones: true,
  },
});
codecContract({ describe, it, codec: stringCodec, supports: { samples: ['meter1', '', 'ünïcödé ✓'], tombstones: true } });
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
