import { isUtf8 } from 'node:buffer';
import { SedaError } from './errors.js';

/**
 * Turns values into bytes and back. Any object with `encode` and `decode`
 * is a codec, so Avro or JSON-schema codecs plug in beside the built-ins.
 * `decode` throws on bytes it cannot read: the record is then a poison
 * record and goes to the dead-letter topic.
 */
export interface Codec<T = unknown> {
  /** Shown by `seda describe`; optional for custom codecs. */
  readonly name?: string;
  encode(value: T): Buffer | null;
  decode(bytes: Buffer | null): T;
}

/** A built-in codec name or a codec object. */
export type CodecSpec = 'json' | 'string' | 'buffer' | Codec;

/**
 * Strict UTF-8: bytes that are not valid UTF-8 throw (the record becomes a
 * dead letter) instead of decoding to U+FFFD, which would change the data
 * silently (and collapse different invalid keys into one).
 */
export function decodeUtf8(bytes: Buffer): string {
  if (!isUtf8(bytes)) throw new SedaError('SEDA_CODEC_DECODE', `${bytes.length} bytes are not valid UTF-8`);
  return bytes.toString('utf8');
}

/** JSON text in UTF-8 (strict). A null payload decodes to null (a tombstone). */
export const jsonCodec: Codec<unknown> = {
  name: 'json',
  encode: (value) => (value === undefined || value === null ? null : Buffer.from(JSON.stringify(value))),
  decode: (bytes) => (bytes === null || bytes.length === 0 ? null : JSON.parse(decodeUtf8(bytes))),
};

/** UTF-8 text (strict: invalid UTF-8 throws). */
export const stringCodec: Codec<string | null> = {
  name: 'string',
  encode: (value) => (value === null || value === undefined ? null : Buffer.from(String(value))),
  decode: (bytes) => (bytes === null ? null : decodeUtf8(bytes)),
};

/** Bytes as they are. */
export const bufferCodec: Codec<Buffer | null> = {
  name: 'buffer',
  encode: (value) => value,
  decode: (bytes) => bytes,
};

const builtins: { [name: string]: Codec<any> } = { json: jsonCodec, string: stringCodec, buffer: bufferCodec };

/** Resolves a codec name or object to a codec; throws `SEDA_CODEC_UNKNOWN` for anything else. */
export function resolveCodec(spec: CodecSpec | undefined, fallback: 'json' | 'string' | 'buffer', what = 'codec'): Codec<any> {
  if (spec === undefined) return builtins[fallback];
  if (typeof spec === 'string') {
    const codec = builtins[spec];
    if (codec) return codec;
  } else if (spec !== null && typeof spec === 'object' && typeof spec.encode === 'function' && typeof spec.decode === 'function') {
    return spec;
  }
  throw new SedaError(
    'SEDA_CODEC_UNKNOWN',
    `${what}: ${typeof spec === 'string' ? `"${spec}"` : 'the given value'} is not a codec; use "json", "string", "buffer" or an object with encode() and decode()`,
  );
}

/** The name a codec shows in `seda describe`. */
export function codecName(codec: Codec<any>): string {
  return codec.name ?? 'custom';
}
