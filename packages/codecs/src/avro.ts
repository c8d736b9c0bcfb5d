import avsc from 'avsc';
import { SedaError, type Codec } from '@seda/core';

/** An Avro schema: its JSON (object or text), or an avsc `Type`. */
export type AvroSchema = avsc.Schema | object | string | avsc.Type;

/** Options of {@link avro}. */
export interface AvroOptions {
  /**
   * The schema the bytes were written with, when older (or newer) than the
   * codec's: records are decoded by Avro's schema resolution into the
   * codec's schema (fields added with defaults filled in, removed ones
   * skipped, promotions such as int to long applied).
   */
  writerSchema?: AvroSchema;
}

function toType(schema: AvroSchema, what: string): avsc.Type {
  if (schema instanceof avsc.Type) return schema;
  try {
    return avsc.Type.forSchema((typeof schema === 'string' ? JSON.parse(schema) : schema) as avsc.Schema);
  } catch (err) {
    throw new SedaError('SEDA_CODEC_INVALID', `avro: the ${what} is not a valid Avro schema: ${(err as Error).message}`, { cause: err });
  }
}

/** The paths of the fields that do not fit the schema, for the error message. */
function invalidPaths(type: avsc.Type, value: unknown): string {
  const paths: string[] = [];
  type.isValid(value, { errorHook: (path: string[], v: unknown) => paths.push(`${path.join('.') || '(value)'} = ${JSON.stringify(v) ?? String(v)}`) });
  return paths.length > 0 ? paths.slice(0, 5).join(', ') : 'unknown field';
}

/**
 * Avro binary encoding (avsc) of one value per message, without a container
 * header or schema id: both sides know the schema. A null payload is a
 * tombstone (null). Decoding rejects truncated bytes and trailing bytes.
 *
 * @example
 * const reading = avro({ type: 'record', name: 'Reading', fields: [{ name: 'kwh', type: 'double' }] });
 * defineStage({ input: { topic: 'readings', codec: reading }, ... });
 */
export function avro<T = unknown>(schema: AvroSchema, options: AvroOptions = {}): Codec<T> {
  const type = toType(schema, 'schema');
  const resolver = options.writerSchema === undefined ? undefined : resolverFrom(type, toType(options.writerSchema, 'writer schema'));
  const name = `avro(${type.name ?? type.typeName})`;
  return {
    name,
    encode(value: T): Buffer | null {
      if (value === null || value === undefined) return null;
      if (!type.isValid(value)) {
        throw new SedaError('SEDA_CODEC_ENCODE', `${name}: the value does not fit the schema: ${invalidPaths(type, value)}`);
      }
      return type.toBuffer(value);
    },
    decode(bytes: Buffer | null): T {
      if (bytes === null) return null as T;
      try {
        return plain(type.fromBuffer(bytes, resolver)) as T;
      } catch (err) {
        throw new SedaError('SEDA_CODEC_DECODE', `${name}: ${(err as Error).message}`, { cause: err });
      }
    },
  };
}

/** avsc decodes records into instances of generated classes: seda hands stages plain objects. */
function plain(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v) || v instanceof Date) return v;
  if (Array.isArray(v)) return v.map(plain);
  const out: { [k: string]: unknown } = {};
  for (const k of Object.keys(v)) out[k] = plain((v as { [k: string]: unknown })[k]);
  return out;
}

function resolverFrom(reader: avsc.Type, writer: avsc.Type): ReturnType<avsc.Type['createResolver']> {
  try {
    return reader.createResolver(writer);
  } catch (err) {
    throw new SedaError('SEDA_CODEC_INVALID', `avro: records written with the writer schema cannot be read with the schema: ${(err as Error).message}`, { cause: err });
  }
}
