import { existsSync, readFileSync } from 'node:fs';
import Kafka from 'node-rdkafka';
import { join } from 'node:path';
import { SedaError, splitKeyValue } from '@seda/core';
import { consumerOnlyProperties, producerOnlyProperties } from './client-properties.js';

/** librdkafka properties, passed through as they are. */
export type KafkaProperties = { [key: string]: string | number | boolean };

/** Where `seda broker` writes its address, relative to the working directory. */
export const brokerFile = join('.seda', 'broker.json');

/** What `seda broker` writes to `.seda/broker.json`. */
export interface BrokerFile {
  bootstrap: string;
  control?: string;
  pid?: number;
}

/** Reads `.seda/broker.json` under `cwd`, if there is one. */
export function readBrokerFile(cwd = process.cwd()): BrokerFile | undefined {
  const file = join(cwd, brokerFile);
  if (!existsSync(file)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as BrokerFile;
    if (typeof parsed.bootstrap === 'string' && parsed.bootstrap !== '') return parsed;
  } catch (err) {
    throw new SedaError('SEDA_KAFKA_CONFIG', `${file} is not valid JSON (${(err as Error).message}); delete it or restart \`seda broker\``, { cause: err });
  }
  throw new SedaError('SEDA_KAFKA_CONFIG', `${file} has no "bootstrap"; delete it or restart \`seda broker\``);
}

/**
 * The bootstrap servers to use: `--brokers` > `SEDA_BROKERS` >
 * `.seda/broker.json` (written by `seda broker`) > a clear error.
 */
export function resolveBrokers(options: { brokers?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const env = options.env ?? process.env;
  const given = options.brokers ?? env.SEDA_BROKERS;
  if (given !== undefined && given.trim() !== '') return given.trim();
  const file = readBrokerFile(options.cwd);
  if (file) return file.bootstrap;
  throw new SedaError('SEDA_KAFKA_NO_BROKER', 'no Kafka broker: pass --brokers host:port, set SEDA_BROKERS, or start one with `seda broker`');
}

/** A librdkafka property's value from text (a flag, the environment): trimmed, numbers and booleans typed. */
export function kafkaPropertyValue(text: string): string | number | boolean {
  const raw = text.trim();
  return raw === 'true' ? true : raw === 'false' ? false : /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
}

/** Parses repeated `--kafka key=value` flags; numbers and booleans are typed. */
export function parseKafkaProperties(pairs: string[]): KafkaProperties {
  const props: KafkaProperties = {};
  for (const pair of pairs) {
    const kv = splitKeyValue(pair);
    if (kv === undefined) {
      throw new SedaError('SEDA_KAFKA_CONFIG', `--kafka "${pair}" is not key=value (a librdkafka property, e.g. --kafka linger.ms=5)`);
    }
    props[kv.key] = kafkaPropertyValue(kv.value);
  }
  return props;
}

/** A librdkafka property librdkafka refused. */
export interface KafkaPropertyProblem {
  key: string;
  /** `unknown` (no such property) or `invalid` (a value librdkafka refuses). */
  kind: 'unknown' | 'invalid';
  message: string;
}

/**
 * Checks each librdkafka property on its own (librdkafka parses a property
 * when it is set, before any connection), so every unknown key and bad value
 * is found, not only the first. Values are left out of the messages: some are
 * secrets.
 */
export function checkKafkaProperties(props: KafkaProperties): KafkaPropertyProblem[] {
  const problems: KafkaPropertyProblem[] = [];
  for (const [key, value] of Object.entries(props)) {
    try {
      // A producer's constructor only parses its configuration; nothing connects.
      new Kafka.Producer({ [key]: value });
    } catch (err) {
      const message = (err as Error).message;
      const unknown = /No such configuration property/i.test(message);
      const valueText = String(value);
      // librdkafka's own words (e.g. "not supported in this build"), never the value: it may be a secret.
      const said = valueText.length > 0 ? message.split(valueText).join('[value]') : message;
      problems.push({ key, kind: unknown ? 'unknown' : 'invalid', message: unknown ? `"${key}" is not a librdkafka property` : `librdkafka refuses it: ${said}` });
    }
  }
  return problems;
}

/**
 * librdkafka's topic-level properties (CONFIGURATION.md, "Topic configuration
 * properties", those with no global twin). node-rdkafka installs its own
 * (topic config) argument as the default topic config, so one of these given
 * in the global config would be silently dropped: they must go there instead.
 */
const topicLevelProperties: ReadonlySet<string> = new Set([
  'request.required.acks',
  'acks',
  'request.timeout.ms',
  'message.timeout.ms',
  'delivery.timeout.ms',
  'queuing.strategy',
  'produce.offset.report',
  'partitioner',
  'compression.level',
  'auto.commit.enable',
  'auto.offset.reset',
  'offset.store.path',
  'offset.store.sync.interval.ms',
  'consume.callback.max.messages',
]);

/** The kind of librdkafka client properties are meant for (`admin` takes neither side's own properties). */
export type KafkaClientKind = 'consumer' | 'producer' | 'admin';

/**
 * True when `key` is a property of another kind of client only (from
 * librdkafka's CONFIGURATION.md): given to this one, librdkafka would warn
 * (CONFWARN) at every start. Unknown properties are never dropped: they still
 * fail where the client is made.
 */
export function belongsElsewhere(key: string, client: KafkaClientKind): boolean {
  return (client !== 'consumer' && consumerOnlyProperties.has(key)) || (client !== 'producer' && producerOnlyProperties.has(key));
}

/**
 * Splits librdkafka properties into the global and the topic-level config
 * node-rdkafka takes separately; given the kind of client, leaves out the
 * properties of other kinds of client only ({@link belongsElsewhere}).
 */
export function splitKafkaProperties(props: KafkaProperties = {}, client?: KafkaClientKind): { global: KafkaProperties; topic: KafkaProperties } {
  const global: KafkaProperties = {};
  const topic: KafkaProperties = {};
  for (const [key, value] of Object.entries(props)) {
    if (client !== undefined && belongsElsewhere(key, client)) continue;
    if (topicLevelProperties.has(key)) topic[key] = value;
    else global[key] = value;
  }
  return { global, topic };
}
