import { Ajv, type Options as AjvOptions, type AnySchema } from 'ajv';
import { SedaError, type Codec } from '@seda/core';

/** Options of {@link jsonSchema}. */
export interface JsonSchemaOptions {
  /** Options for the Ajv instance that compiles the schema (default: every error listed, no strict-mode warnings). */
  ajv?: AjvOptions;
}

/**
 * JSON text validated against a JSON Schema (ajv, draft-07 by default). A
 * record that is not JSON fails with `SEDA_CODEC_DECODE`; one that is JSON
 * but breaks the schema with `SEDA_CODEC_SCHEMA`, the validation message
 * naming each failing path (`/kwh must be number`): in a stage both go to the
 * dead-letter topic with that code and message. Encoding a value that breaks
 * the schema fails with `SEDA_CODEC_ENCODE`. A null payload is a tombstone.
 */
export function jsonSchema<T = unknown>(schema: AnySchema, options: JsonSchemaOptions = {}): Codec<T> {
  const ajv = new Ajv({ allErrors: true, strict: false, ...options.ajv });
  let validate: ReturnType<Ajv['compile']>;
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    throw new SedaError('SEDA_CODEC_INVALID', `jsonSchema: the schema does not compile: ${(err as Error).message}`, { cause: err });
  }
  const title = typeof schema === 'object' && schema !== null && typeof (schema as { title?: unknown }).title === 'string' ? (schema as { title: string }).title : undefined;
  const name = title === undefined ? 'jsonSchema' : `jsonSchema(${title})`;
  const problems = (): string => ajv.errorsText(validate.errors, { dataVar: '', separator: '; ' });
  return {
    name,
    encode(value: T): Buffer | null {
      if (value === null || value === undefined) return null;
      if (!validate(value)) throw new SedaError('SEDA_CODEC_ENCODE', `${name}: the value breaks the schema: ${problems()}`);
      return Buffer.from(JSON.stringify(value));
    },
    decode(bytes: Buffer | null): T {
      if (bytes === null || bytes.length === 0) return null as T;
      let value: unknown;
      try {
        value = JSON.parse(bytes.toString('utf8'));
      } catch (err) {
        throw new SedaError('SEDA_CODEC_DECODE', `${name}: not JSON: ${(err as Error).message}`, { cause: err });
      }
      if (!validate(value)) throw new SedaError('SEDA_CODEC_SCHEMA', `${name}: the record breaks the schema: ${problems()}`);
      return value as T;
    },
  };
}
