import protobufjs from 'protobufjs';
import { SedaError, type Codec } from '@seda/core';

/** A Protobuf message type: a protobufjs `Type`, or `.proto` text and the full name of a message in it. */
export type ProtobufType = protobufjs.Type | { proto: string; type: string };

/** Options of {@link protobuf}. */
export interface ProtobufOptions {
  /** How decoded messages become plain objects (protobufjs `toObject` options). Default: `{ longs: String, enums: String, defaults: true }`. */
  toObject?: protobufjs.IConversionOptions;
}

function toType(spec: ProtobufType): protobufjs.Type {
  if (spec instanceof protobufjs.Type) return spec;
  if (spec === null || typeof spec !== 'object' || typeof spec.proto !== 'string' || typeof spec.type !== 'string') {
    throw new SedaError('SEDA_CODEC_INVALID', 'protobuf: give a protobufjs Type, or { proto: "<.proto text>", type: "<package.Message>" }');
  }
  try {
    return protobufjs.parse(spec.proto, { keepCase: true }).root.lookupType(spec.type);
  } catch (err) {
    throw new SedaError('SEDA_CODEC_INVALID', `protobuf: cannot find message "${spec.type}" in the given .proto: ${(err as Error).message}`, { cause: err });
  }
}

const LONGS = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

/** The first 64-bit integer field given as a string that is not a whole number, as a problem text; null when none. */
function badLong(type: protobufjs.Type, value: Record<string, unknown>, path = ''): string | null {
  for (const field of type.fieldsArray) {
    const v = value[field.name];
    if (v === undefined || v === null) continue;
    const items: unknown[] = field.repeated && Array.isArray(v) ? v : field.map && typeof v === 'object' ? Object.values(v) : [v];
    for (const item of items) {
      if (LONGS.has(field.type) && typeof item === 'string' && !/^-?\d+$/.test(item)) return `${path}${field.name}: integer|Long expected, got "${item}"`;
      if (field.resolvedType instanceof protobufjs.Type && item !== null && typeof item === 'object') {
        const inner = badLong(field.resolvedType, item as Record<string, unknown>, `${path}${field.name}.`);
        if (inner !== null) return inner;
      }
    }
  }
  return null;
}

/**
 * Protobuf binary encoding (protobufjs) of one message per Kafka message. A
 * value is a plain object; encoding checks it against the type first
 * (`SEDA_CODEC_ENCODE` naming the field; 64-bit integers may be numbers or
 * decimal strings), decoding gives a plain object with
 * defaults filled in, 64-bit integers as strings and enums by name. A null
 * payload is a tombstone (null).
 */
export function protobuf<T = Record<string, unknown>>(spec: ProtobufType, options: ProtobufOptions = {}): Codec<T> {
  const type = toType(spec);
  const conversion: protobufjs.IConversionOptions = options.toObject ?? { longs: String, enums: String, defaults: true };
  const name = `protobuf(${type.fullName.replace(/^\./, '')})`;
  return {
    name,
    encode(value: T): Buffer | null {
      if (value === null || value === undefined) return null;
      // verify() wants Long values where fromObject() also takes decimal strings (what decode gives back):
      // a value whose only complaint is a 64-bit integer is checked again after conversion.
      const problem = type.verify(value as Record<string, unknown>);
      if (problem !== null && !problem.endsWith('integer|Long expected')) throw new SedaError('SEDA_CODEC_ENCODE', `${name}: ${problem}`);
      let message: protobufjs.Message;
      try {
        message = type.fromObject(value as Record<string, unknown>);
      } catch (err) {
        throw new SedaError('SEDA_CODEC_ENCODE', `${name}: ${(err as Error).message}`, { cause: err });
      }
      const converted = problem === null ? null : (badLong(type, value as Record<string, unknown>) ?? type.verify(message));
      if (converted !== null) throw new SedaError('SEDA_CODEC_ENCODE', `${name}: ${converted}`);
      const bytes = type.encode(message).finish();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    decode(bytes: Buffer | null): T {
      if (bytes === null) return null as T;
      try {
        return type.toObject(type.decode(bytes), conversion) as T;
      } catch (err) {
        throw new SedaError('SEDA_CODEC_DECODE', `${name}: ${(err as Error).message}`, { cause: err });
      }
    },
  };
}
