import { SedaError } from './errors.js';
import type { OutgoingMessage } from './record.js';

/** librdkafka's most bytes a v2 record adds around key, value and headers (RD_KAFKAP_MESSAGE_V2_MAX_OVERHEAD). */
const RECORD_OVERHEAD_BYTES = 36;
/** Per header, at most: two varint lengths. */
const HEADER_OVERHEAD_BYTES = 10;

/** The size librdkafka checks against `message.max.bytes` (an upper bound by at most 10 bytes a header). */
export function messageSizeBytes(m: OutgoingMessage): number {
  let size = RECORD_OVERHEAD_BYTES + (m.key?.length ?? 0) + (m.value?.length ?? 0);
  for (const h of m.headers ?? []) {
    for (const k in h) {
      const v = h[k];
      size += HEADER_OVERHEAD_BYTES + Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : v.length);
    }
  }
  return size;
}

/** An upper bound of {@link messageSizeBytes} from string lengths (UTF-8 takes at most 3 bytes per UTF-16 unit). */
function sizeBound(m: OutgoingMessage): number {
  let size = RECORD_OVERHEAD_BYTES + (m.key?.length ?? 0) + (m.value?.length ?? 0);
  const headers = m.headers;
  if (headers !== undefined) {
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i];
      for (const k in h) {
        const v = h[k];
        size += HEADER_OVERHEAD_BYTES + 3 * k.length + (typeof v === 'string' ? 3 * v.length : v.length);
      }
    }
  }
  return size;
}

/**
 * Throws `SEDA_KAFKA_MESSAGE_TOO_LARGE` (not retriable: the record is
 * dead-lettered) when an emission is over the producer's limit; librdkafka
 * would refuse it at produce time and the stage would fail at every restart.
 */
export function checkMessageSize(m: OutgoingMessage, maxBytes: number, output: string): void {
  if (sizeBound(m) <= maxBytes) return; // the common case, without encoding a header's length
  const size = messageSizeBytes(m);
  if (size <= maxBytes) return;
  throw new SedaError(
    'SEDA_KAFKA_MESSAGE_TOO_LARGE',
    `an emission to output "${output}" (topic ${m.topic}) is ${size} bytes, over the producer's message.max.bytes of ${maxBytes}; emit less, or raise it with --kafka message.max.bytes=<n> (and the topic's max.message.bytes)`,
  );
}
