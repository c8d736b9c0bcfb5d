import { expect } from 'chai';
import { codecContract, defineStage, SedaError, testStage } from '@seda/core';
import protobufjs from 'protobufjs';
import { avro, jsonSchema, protobuf } from '../src/index.js';

const readingV1 = {
  type: 'record',
  name: 'Reading',
  namespace: 'seda.test',
  fields: [
    { name: 'meter', type: 'string' },
    { name: 'kwh', type: 'double' },
    { name: 'ts', type: 'long' },
  ],
};
/** v2: a field added with a default, `kwh` promoted from float... kept double, `ts` unchanged, `note` optional. */
const readingV2 = {
  ...readingV1,
  fields: [...readingV1.fields, { name: 'unit', type: 'string', default: 'kWh' }, { name: 'note', type: ['null', 'string'], default: null }],
};
export const readingProto = `
syntax = "proto3";
package seda.test;
message Reading {
  string meter = 1;
  double kwh = 2;
  int64 ts = 3;
  enum Kind { MEASURED = 0; ESTIMATED = 1; }
  Kind kind = 4;
  repeated string tags = 5;
}`;
const readingJsonSchema = {
  title: 'Reading',
  type: 'object',
  required: ['meter', 'kwh'],
  properties: { meter: { type: 'string', minLength: 1 }, kwh: { type: 'number', minimum: 0 }, ts: { type: 'integer' } },
  additionalProperties: false,
};

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as SedaError).code;
  }
  return 'no error';
};

codecContract({
  describe,
  it,
  codec: avro(readingV1),
  supports: { samples: [{ meter: 'm1', kwh: 1.5, ts: 1_767_225_600_000 }, { meter: '', kwh: 0, ts: 0 }], invalid: [Buffer.from([0x02]), Buffer.from([0x02, 0x41, 0x00])], tombstones: true },
});
codecContract({
  describe,
  it,
  codec: protobuf({ proto: readingProto, type: 'seda.test.Reading' }),
  supports: {
    samples: [
      { meter: 'm1', kwh: 1.5, ts: '1767225600000', kind: 'ESTIMATED', tags: ['a', 'b'] },
      { meter: '', kwh: 0, ts: '0', kind: 'MEASURED', tags: [] },
    ],
    invalid: [Buffer.from([0x0a, 0x05, 0x41])],
    tombstones: true,
  },
});
codecContract({
  describe,
  it,
  codec: jsonSchema(readingJsonSchema),
  supports: { samples: [{ meter: 'm1', kwh: 2 }, { meter: 'm2', kwh: 0.25, ts: 5 }], invalid: [Buffer.from('{'), Buffer.from('{"meter":""}')], tombstones: true },
});

describe('avro codec', () => {
  it('decodes a record written with an older schema into the new one (reader/writer schema resolution)', () => {
    const old = avro(readingV1);
    const bytes = old.encode({ meter: 'm1', kwh: 2.5, ts: 10 });
    expect(avro(readingV2, { writerSchema: readingV1 }).decode(bytes)).to.deep.equal({ meter: 'm1', kwh: 2.5, ts: 10, unit: 'kWh', note: null });
    // The reverse: a new record read by a stage still on the old schema drops the fields it does not know.
    const newer = avro(readingV2).encode({ meter: 'm2', kwh: 1, ts: 11, unit: 'Wh', note: 'x' });
    expect(avro(readingV1, { writerSchema: readingV2 }).decode(newer)).to.deep.equal({ meter: 'm2', kwh: 1, ts: 11 });
  });

  it('without the writer schema, bytes of an older schema fail to decode (SEDA_CODEC_DECODE), never decode wrongly', () => {
    const bytes = avro(readingV1).encode({ meter: 'm1', kwh: 2.5, ts: 10 });
    expect(code(() => avro(readingV2).decode(bytes))).to.equal('SEDA_CODEC_DECODE');
  });

  it('refuses a value that does not fit the schema with SEDA_CODEC_ENCODE naming the field', () => {
    const c = avro(readingV1);
    expect(() => c.encode({ meter: 'm1', kwh: 'lots', ts: 1 })).to.throw(SedaError, /kwh = "lots"/);
    expect(code(() => c.encode({ meter: 'm1', kwh: 'lots', ts: 1 }))).to.equal('SEDA_CODEC_ENCODE');
  });

  it('refuses an invalid schema or an incompatible writer schema at construction (SEDA_CODEC_INVALID)', () => {
    expect(code(() => avro({ type: 'record', name: 'X', fields: [{ name: 'a', type: 'nope' }] }))).to.equal('SEDA_CODEC_INVALID');
    const incompatible = { ...readingV1, fields: [{ name: 'meter', type: 'int' }] };
    expect(code(() => avro(incompatible, { writerSchema: readingV1 }))).to.equal('SEDA_CODEC_INVALID');
  });
});

describe('protobuf codec', () => {
  it('takes a protobufjs Type as well as .proto text, and names it in seda describe', () => {
    const type = protobufjs.parse(readingProto, { keepCase: true }).root.lookupType('seda.test.Reading');
    const c = protobuf(type);
    expect(c.name).to.equal('protobuf(seda.test.Reading)');
    expect(c.decode(c.encode({ meter: 'm', kwh: 1, ts: 2 }))).to.deep.equal({ meter: 'm', kwh: 1, ts: '2', kind: 'MEASURED', tags: [] });
  });

  it('refuses a value of the wrong type (SEDA_CODEC_ENCODE) and an unknown message (SEDA_CODEC_INVALID)', () => {
    const c = protobuf({ proto: readingProto, type: 'seda.test.Reading' });
    expect(() => c.encode({ meter: 5 })).to.throw(SedaError, /meter: string expected/);
    expect(code(() => c.encode({ meter: 'm', tags: 'a' }))).to.equal('SEDA_CODEC_ENCODE');
    expect(code(() => c.encode({ meter: 'm', ts: 'soon' }))).to.equal('SEDA_CODEC_ENCODE');
    expect(code(() => protobuf({ proto: readingProto, type: 'seda.test.Nope' }))).to.equal('SEDA_CODEC_INVALID');
  });
});

describe('json schema codec', () => {
  const stage = defineStage({
    name: 'validated',
    input: { topic: 'readings', codec: jsonSchema(readingJsonSchema) },
    outputs: { out: { topic: 'out', codec: jsonSchema(readingJsonSchema) } },
    process(r, ctx) {
      const v = r.value as { meter: string; kwh: number };
      // Doubling is fine; a negative reading breaks the output's schema on encode.
      ctx.emit('out', { value: { meter: v.meter, kwh: v.meter === 'broken' ? -1 : v.kwh * 2 } });
    },
  });

  it('a record that breaks the schema goes to the dead-letter topic with SEDA_CODEC_SCHEMA and the validation message; the others go on', async () => {
    const t = testStage(stage);
    await t.sendRaw([
      { key: Buffer.from('m1'), value: Buffer.from('{"meter":"m1","kwh":1}') },
      { key: Buffer.from('m2'), value: Buffer.from('{"meter":"m2","kwh":"high","extra":1}') },
      { key: Buffer.from('m3'), value: Buffer.from('not json') },
      { key: Buffer.from('m4'), value: Buffer.from('{"meter":"m4","kwh":3}') },
    ]);
    expect(t.outputs('out').map((o) => o.value)).to.deep.equal([{ meter: 'm1', kwh: 2 }, { meter: 'm4', kwh: 6 }]);
    const dead = t.deadLetters();
    expect(dead.map((d) => [d.offset, d.code])).to.deep.equal([[1, 'SEDA_CODEC_SCHEMA'], [2, 'SEDA_CODEC_DECODE']]);
    expect(dead[0].error).to.contain('/kwh must be number').and.to.contain('must NOT have additional properties');
    expect(dead[0].value?.toString()).to.equal('{"meter":"m2","kwh":"high","extra":1}');
  });

  it('an output that breaks its schema is dead-lettered with SEDA_CODEC_ENCODE, without retries', async () => {
    const t = testStage(stage);
    await t.send({ key: 'b', value: { meter: 'broken', kwh: 1 } });
    expect(t.deadLetters().map((d) => d.code)).to.deep.equal(['SEDA_CODEC_ENCODE']);
    expect(t.deadLetters()[0].error).to.contain('/kwh must be >= 0');
    expect(t.counters.retries).to.equal(0);
  });

  it('serves as a state codec: values are validated as they are written', async () => {
    const counting = defineStage({
      name: 'counting',
      input: { topic: 'in' },
      state: { codec: jsonSchema({ type: 'object', required: ['n'], properties: { n: { type: 'integer' } } }) },
      async process(r, ctx) {
        const n = ((await ctx.state.get(String(r.key))) as { n: number } | undefined)?.n ?? 0;
        ctx.state.put(String(r.key), { n: n + 1 });
      },
    });
    const t = testStage(counting);
    await t.send([{ key: 'a', value: 1 }, { key: 'a', value: 2 }]);
    expect(await t.state(0).get('a')).to.deep.equal({ n: 2 });
  });

  it('refuses a schema that does not compile (SEDA_CODEC_INVALID)', () => {
    expect(code(() => jsonSchema({ type: 'nope' }))).to.equal('SEDA_CODEC_INVALID');
  });
});
