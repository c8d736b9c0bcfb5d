import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { avro, protobuf } from '../src/index.js';

/**
 * Interop with independent implementations: Debian's python3-avro and
 * python3-protobuf (.ci/run installs them). Debian's own python is used, as
 * its packages live there, not in a pyenv or venv interpreter.
 */
const PYTHON = '/usr/bin/python3';

function python(script: string, input: unknown): unknown {
  const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(input), encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw new Error(`cannot run ${PYTHON}: ${r.error.message}; install python3-avro and python3-protobuf (apt-get install python3-avro python3-protobuf)`);
  if (r.status !== 0) throw new Error(`${PYTHON} exited ${String(r.status)}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}

const v1 = {
  type: 'record',
  name: 'Reading',
  namespace: 'seda.test',
  fields: [
    { name: 'meter', type: 'string' },
    { name: 'kwh', type: 'double' },
    { name: 'ts', type: 'long' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['MEASURED', 'ESTIMATED'] } },
  ],
};
const v2 = { ...v1, fields: [...v1.fields, { name: 'unit', type: 'string', default: 'kWh' }, { name: 'note', type: ['null', 'string'], default: null }] };
const readings = [
  { meter: 'meter1', kwh: 1.25, ts: 1_767_225_600_000, tags: ['a'], kind: 'MEASURED' },
  { meter: 'mètre-2 ⚡', kwh: -0.5, ts: 0, tags: [], kind: 'ESTIMATED' },
  { meter: '', kwh: 1e-9, ts: 2 ** 52, tags: ['x', 'y', 'z'], kind: 'MEASURED' },
];

// Reads hex Avro payloads with (writer, reader) schemas, writes dicts with a schema: one JSON in, one out.
const avroScript = `
import io, json, sys
import avro.schema, avro.io
job = json.load(sys.stdin)
out = {}
if 'decode' in job:
    writer = avro.schema.parse(json.dumps(job['writer']))
    reader = avro.schema.parse(json.dumps(job.get('reader', job['writer'])))
    datum_reader = avro.io.DatumReader(writer, reader)
    out['decoded'] = [datum_reader.read(avro.io.BinaryDecoder(io.BytesIO(bytes.fromhex(h)))) for h in job['decode']]
if 'encode' in job:
    schema = avro.schema.parse(json.dumps(job['schema']))
    writer = avro.io.DatumWriter(schema)
    hexes = []
    for datum in job['encode']:
        buf = io.BytesIO()
        writer.write(datum, avro.io.BinaryEncoder(buf))
        hexes.append(buf.getvalue().hex())
    out['encoded'] = hexes
json.dump(out, sys.stdout)
`;

describe('avro codec interop with python3-avro', function () {
  this.timeout(60_000);

  it('Avro bytes written by seda decode in python to the same values', () => {
    const codec = avro(v1);
    const out = python(avroScript, { writer: v1, decode: readings.map((r) => codec.encode(r)!.toString('hex')) }) as { decoded: unknown[] };
    expect(out.decoded).to.deep.equal(readings);
  });

  it('Avro bytes written by python decode in seda, with the same schema and, by schema evolution, with a newer one', () => {
    const out = python(avroScript, { schema: v1, encode: readings }) as { encoded: string[] };
    const bytes = out.encoded.map((h) => Buffer.from(h, 'hex'));
    expect(bytes.map((b) => avro(v1).decode(b))).to.deep.equal(readings);
    expect(bytes.map((b) => avro(v2, { writerSchema: v1 }).decode(b))).to.deep.equal(readings.map((r) => ({ ...r, unit: 'kWh', note: null })));
  });

  it('seda writes with the newer schema and python, still on the older one, reads what it knows', () => {
    const newer = readings.map((r) => ({ ...r, unit: 'Wh', note: 'checked' }));
    const out = python(avroScript, { writer: v2, reader: v1, decode: newer.map((r) => avro(v2).encode(r)!.toString('hex')) }) as { decoded: unknown[] };
    expect(out.decoded).to.deep.equal(readings);
  });
});

const proto = `
syntax = "proto3";
package seda.test;
message Reading {
  string meter = 1;
  double kwh = 2;
  int64 ts = 3;
  enum Kind { MEASURED = 0; ESTIMATED = 1; }
  Kind kind = 4;
  repeated string tags = 5;
  Place place = 6;
}
message Place {
  string city = 1;
  sint32 floor = 2;
}`;

// The same message type, built in python from a descriptor (no protoc here): decodes hex payloads to
// dicts, changes each (kwh doubled, a tag added) and encodes it again, and encodes given dicts.
const protoScript = `
import json, sys
from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
F = descriptor_pb2.FieldDescriptorProto
fdp = descriptor_pb2.FileDescriptorProto(name='reading.proto', package='seda.test', syntax='proto3')
place = fdp.message_type.add(name='Place')
place.field.add(name='city', number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
place.field.add(name='floor', number=2, type=F.TYPE_SINT32, label=F.LABEL_OPTIONAL)
m = fdp.message_type.add(name='Reading')
kind = m.enum_type.add(name='Kind')
kind.value.add(name='MEASURED', number=0)
kind.value.add(name='ESTIMATED', number=1)
m.field.add(name='meter', number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
m.field.add(name='kwh', number=2, type=F.TYPE_DOUBLE, label=F.LABEL_OPTIONAL)
m.field.add(name='ts', number=3, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
m.field.add(name='kind', number=4, type=F.TYPE_ENUM, type_name='.seda.test.Reading.Kind', label=F.LABEL_OPTIONAL)
m.field.add(name='tags', number=5, type=F.TYPE_STRING, label=F.LABEL_REPEATED)
m.field.add(name='place', number=6, type=F.TYPE_MESSAGE, type_name='.seda.test.Place', label=F.LABEL_OPTIONAL)
pool = descriptor_pool.DescriptorPool()
pool.Add(fdp)
desc = pool.FindMessageTypeByName('seda.test.Reading')
Reading = message_factory.GetMessageClass(desc) if hasattr(message_factory, 'GetMessageClass') else message_factory.MessageFactory(pool).GetPrototype(desc)
job = json.load(sys.stdin)
decoded, changed = [], []
for h in job['decode']:
    msg = Reading.FromString(bytes.fromhex(h))
    decoded.append(json_format.MessageToDict(msg, preserving_proto_field_name=True, including_default_value_fields=True))
    msg.kwh = msg.kwh * 2
    msg.tags.append('python')
    changed.append(msg.SerializeToString().hex())
encoded = [json_format.ParseDict(d, Reading()).SerializeToString().hex() for d in job['encode']]
json.dump({'decoded': decoded, 'changed': changed, 'encoded': encoded}, sys.stdout)
`;

describe('protobuf codec interop with python3-protobuf', function () {
  this.timeout(60_000);
  const codec = protobuf({ proto, type: 'seda.test.Reading' });
  const messages = [
    { meter: 'meter1', kwh: 1.25, ts: '1767225600000', kind: 'ESTIMATED', tags: ['a', 'b'], place: { city: 'Lyon', floor: -2 } },
    { meter: 'mètre ⚡', kwh: 0, ts: '-9007199254740993', kind: 'MEASURED', tags: [], place: { city: '', floor: 0 } },
  ];

  it('round trip: seda encodes, python decodes the same fields, changes them and encodes, seda decodes the change', () => {
    const out = python(protoScript, { decode: messages.map((m) => codec.encode(m)!.toString('hex')), encode: [] }) as { decoded: Array<Record<string, unknown>>; changed: string[] };
    expect(out.decoded).to.deep.equal(messages);
    const back = out.changed.map((h) => codec.decode(Buffer.from(h, 'hex')));
    expect(back).to.deep.equal(messages.map((m) => ({ ...m, kwh: m.kwh * 2, tags: [...m.tags, 'python'] })));
  });

  it('messages python encodes from dicts decode in seda to the same values', () => {
    const out = python(protoScript, { decode: [], encode: messages }) as { encoded: string[] };
    expect(out.encoded.map((h) => codec.decode(Buffer.from(h, 'hex')))).to.deep.equal(messages);
  });
});
