import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { SedaError, splitKeyValue } from '@seda/core';
import { checkKafkaProperties, kafkaPropertyValue, type KafkaProperties } from '@seda/kafka';
import { runConfigFields, runConfigSchema, type RunConfig, type RunConfigField, type RunConfigKey } from './config-schema.js';
import { isSecretKey, redactValue } from './secrets.js';

export { logLevels, runConfigFields, runConfigSchema, type RunConfig, type RunConfigField, type RunConfigKey } from './config-schema.js';

/** Where a value came from. */
export type ConfigSource = 'flag' | 'env' | 'file' | 'default';

/** What is wrong with one key; `code` is stable for tests and tools. */
export interface ConfigProblem {
  code: 'unknown_key' | 'wrong_type' | 'out_of_range' | 'bad_value' | 'unreadable_file' | 'bad_json';
  /** The key (`kafka.sasl.password` for a map entry); empty for a whole-file problem. */
  key: string;
  source: Exclude<ConfigSource, 'default'>;
  /** The flag, the variable or the file path it came from. */
  origin: string;
  message: string;
}

/** The bad configuration: one error listing every problem. */
export class ConfigError extends SedaError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    const lines = problems.map((p) => `  - ${p.key ? `${p.key} ` : ''}(${p.source} ${p.origin}): ${p.message}`);
    super('SEDA_RUNTIME_CONFIG', `invalid configuration: ${problems.length} problem${problems.length > 1 ? 's' : ''}\n${lines.join('\n')}`);
    this.problems = problems;
  }
}

/** A resolved configuration: values, and where each one came from. */
export interface ResolvedConfig {
  values: RunConfig;
  /**
   * The file's `"options"` object: values of the options the stage (or
   * source) itself declares, checked against its schema once it is loaded.
   */
  pluginOptions?: { [name: string]: unknown };
  /** Per key (map entries as `kafka.<property>`): its source and origin. */
  sources: { [key: string]: { source: ConfigSource; origin: string } };
}

/** The raw layers: flags as commander parsed them, the environment, the file path. */
export interface ConfigInput {
  flags?: { [key: string]: unknown };
  env?: NodeJS.ProcessEnv;
  /** Path of the `--config` JSON file. */
  file?: string;
}

type Layer = {
  values: { [key: string]: unknown };
  origins: { [key: string]: string };
  /** The file's "options" object, kept apart (the stage's own schema checks it once it is loaded). */
  pluginOptions?: { [name: string]: unknown };
};

const fieldByKey = new Map(runConfigFields.map((f) => [f.key, f]));
const envPrefix = 'SEDA_KAFKA_';

/** A string from a flag or the environment, typed like the file's JSON would be. */
function typed(field: RunConfigField, raw: string): unknown {
  if (field.kind === 'int') return /^[+-]?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
  if (field.kind === 'boolean') return raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : raw;
  return raw;
}

/** `name=value` pairs into a map; values typed as librdkafka properties when `typedValues`. */
function pairs(list: string[], key: string, origin: string, problems: ConfigProblem[], source: ConfigProblem['source'], typedValues: boolean): { [k: string]: unknown } {
  const out: { [k: string]: unknown } = {};
  for (const pair of list) {
    const kv = splitKeyValue(pair);
    if (kv === undefined) {
      const shown = isSecretKey(pair) ? '[redacted]' : pair;
      problems.push({ code: 'bad_value', key, source, origin, message: `"${shown}" is not name=value` });
      continue;
    }
    out[kv.key] = typedValues ? kafkaPropertyValue(kv.value) : kv.value.trim();
  }
  return out;
}

function flagLayer(flags: { [key: string]: unknown }, problems: ConfigProblem[]): Layer {
  const layer: Layer = { values: {}, origins: {} };
  for (const field of runConfigFields) {
    // A negated flag (`--no-announce`) is stored by commander under the plain name, true unless given.
    const negated = field.flag.startsWith('--no-');
    const name = negated ? flagName(field).slice(3) : flagName(field);
    const commanderKey = field.key === 'outputs' ? 'output' : name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const raw = flags[commanderKey];
    if (raw === undefined || (negated && raw === true)) continue;
    const origin = flagName(field, true);
    if (field.kind === 'map') layer.values[field.key] = pairs(raw as string[], field.key, origin, problems, 'flag', field.key === 'kafka');
    else layer.values[field.key] = typeof raw === 'string' ? typed(field, raw) : raw;
    layer.origins[field.key] = origin;
  }
  return layer;
}

function envLayer(env: NodeJS.ProcessEnv, problems: ConfigProblem[]): Layer {
  const layer: Layer = { values: {}, origins: {} };
  for (const field of runConfigFields) {
    if (field.key === 'kafka') continue;
    const raw = env[field.env];
    if (raw === undefined || raw.trim() === '') continue; // an empty variable is unset
    layer.values[field.key] = field.kind === 'map' ? pairs(raw.split(','), field.key, field.env, problems, 'env', false) : typed(field, raw);
    layer.origins[field.key] = field.env;
  }
  const kafka: { [k: string]: unknown } = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(envPrefix) || raw === undefined || raw === '') continue;
    const prop = name.slice(envPrefix.length).toLowerCase().replace(/_/g, '.');
    Object.assign(kafka, pairs([`${prop}=${raw}`], 'kafka', name, problems, 'env', true));
    layer.origins[`kafka.${prop}`] = name;
  }
  if (Object.keys(kafka).length > 0) layer.values.kafka = kafka;
  return layer;
}

function fileLayer(file: string, problems: ConfigProblem[]): Layer {
  const layer: Layer = { values: {}, origins: {} };
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    problems.push({ code: 'unreadable_file', key: '', source: 'file', origin: path, message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
    return layer;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    // V8's message may quote the text around the error, which may hold a secret: keep its first clause and the position.
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    const what = message.split(/, "| in JSON at/)[0];
    let where = '';
    if (at) {
      const before = text.slice(0, Number(at[1])).split('\n');
      where = ` at line ${before.length}, column ${before[before.length - 1].length + 1}`;
    }
    problems.push({ code: 'bad_json', key: '', source: 'file', origin: path, message: `not valid JSON: ${what}${where}` });
    return layer;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push({ code: 'wrong_type', key: '', source: 'file', origin: path, message: 'the file must hold one JSON object of configuration keys' });
    return layer;
  }
  for (const [k, v] of Object.entries(parsed)) {
    if (k === 'options') {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        problems.push({ code: 'wrong_type', key: 'options', source: 'file', origin: path, message: 'expected an object of the stage\'s own options' });
      } else {
        layer.pluginOptions = v as { [name: string]: unknown };
      }
      continue;
    }
    layer.values[k] = v;
    layer.origins[k] = path;
  }
  return layer;
}

function flagName(field: RunConfigField, withDashes = false): string {
  const flag = field.flag.split(' ')[0];
  return withDashes ? flag : flag.slice(2);
}

/** Validates one layer with the schema, listing every problem with its key and origin. */
function validate(layer: Layer, source: ConfigProblem['source'], problems: ConfigProblem[]): void {
  const result = runConfigSchema.partial().safeParse(layer.values, { reportInput: true });
  if (result.success) return;
  for (const issue of result.error.issues) {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    for (const path of keys) {
      const key = path.map(String).join('.');
      const top = String(path[0]);
      const origin = layer.origins[key] ?? layer.origins[top] ?? source;
      problems.push({ code: problemCode(issue.code), key, source, origin, message: describe(issue, key, top) });
    }
  }
}

function problemCode(code: string): ConfigProblem['code'] {
  if (code === 'unrecognized_keys') return 'unknown_key';
  if (code === 'invalid_type' || code === 'invalid_union') return 'wrong_type';
  if (code === 'too_small' || code === 'too_big') return 'out_of_range';
  return 'bad_value';
}

function describe(issue: z.core.$ZodIssue, key: string, top: string): string {
  const shown = isSecretKey(key) ? '[redacted]' : JSON.stringify((issue as { input?: unknown }).input);
  const field = fieldByKey.get(top as RunConfigKey);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const near = runConfigFields.find((f) => f.key.toLowerCase() === key.toLowerCase());
      return `unknown key${near ? ` (did you mean "${near.key}"?)` : `; known keys: ${runConfigFields.map((f) => f.key).join(', ')}`}`;
    }
    case 'invalid_type': {
      const expected = issue.expected === 'int' || field?.kind === 'int' ? 'a whole number' : issue.expected === 'record' ? 'an object' : issue.expected;
      return `expected ${expected}, got ${shown}`;
    }
    case 'invalid_union':
      return `expected a string, number or boolean, got ${shown}`;
    case 'too_small':
    case 'too_big': {
      const range = runConfigSchema.shape[top as RunConfigKey];
      const bounds = 'minValue' in range && range.minValue !== null ? ` (${range.minValue}-${(range as z.ZodNumber).maxValue})` : '';
      return issue.origin === 'string' ? 'must not be empty' : `out of range${bounds}, got ${shown}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${shown}`;
    default:
      return `${issue.message}${field ? ` (${field.description})` : ''}`;
  }
}

/** The layers merged key by key (maps entry by entry), the first given layer winning. */
function merge(layers: Array<[Layer, ConfigProblem['source']]>): ResolvedConfig {
  const values: { [key: string]: unknown } = {};
  const sources: ResolvedConfig['sources'] = {};
  for (const [layer, source] of [...layers].reverse()) {
    for (const [key, value] of Object.entries(layer.values)) {
      const field = fieldByKey.get(key as RunConfigKey);
      if (field?.kind === 'map') {
        const map = (values[key] ??= {}) as { [k: string]: unknown };
        for (const [k, v] of Object.entries(value as object)) {
          map[k] = v;
          sources[`${key}.${k}`] = { source, origin: layer.origins[`${key}.${k}`] ?? layer.origins[key] };
        }
      } else {
        values[key] = value;
        sources[key] = { source, origin: layer.origins[key] };
      }
    }
  }
  for (const field of runConfigFields) {
    if (values[field.key] === undefined && field.defaultValue !== undefined) {
      values[field.key] = field.defaultValue;
      sources[field.key] = { source: 'default', origin: 'default' };
    }
  }
  return { values: values as RunConfig, sources };
}

/**
 * Resolves a stage instance's configuration: flags > `SEDA_*` environment >
 * `--config` file > defaults. Validates every layer (unknown keys, types,
 * ranges, librdkafka properties) and throws one {@link ConfigError} listing
 * every problem, before anything connects.
 */
export function resolveRunConfig(input: ConfigInput): ResolvedConfig {
  const problems: ConfigProblem[] = [];
  const file: Layer = input.file === undefined ? { values: {}, origins: {} } : fileLayer(input.file, problems);
  validate(file, 'file', problems);
  const env = envLayer(input.env ?? process.env, problems);
  validate(env, 'env', problems);
  const flags = flagLayer(input.flags ?? {}, problems);
  validate(flags, 'flag', problems);
  const resolved = merge([
    [flags, 'flag'],
    [env, 'env'],
    [file, 'file'],
  ]);
  const kafka = (resolved.values.kafka ?? {}) as KafkaProperties;
  const wellTyped = Object.fromEntries(Object.entries(kafka).filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v)));
  for (const p of checkKafkaProperties(wellTyped)) {
    const where = resolved.sources[`kafka.${p.key}`];
    if (where === undefined || where.source === 'default') continue;
    problems.push({ code: p.kind === 'unknown' ? 'unknown_key' : 'bad_value', key: `kafka.${p.key}`, source: where.source, origin: where.origin, message: p.message });
  }
  const { instances, metricsPort } = resolved.values;
  if (metricsPort !== undefined && metricsPort > 0 && metricsPort <= 65_535 && instances !== undefined && metricsPort + instances - 1 > 65_535) {
    const where = resolved.sources.metricsPort as { source: ConfigProblem['source']; origin: string };
    problems.push({ code: 'out_of_range', key: 'metricsPort', source: where.source, origin: where.origin, message: `with ${instances} instances, ports ${metricsPort}-${metricsPort + instances - 1} exceed 65535` });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  if (file.pluginOptions !== undefined) resolved.pluginOptions = file.pluginOptions;
  return resolved;
}

/** The configuration with every secret value replaced by `[redacted]` (for logs and `seda config --print`). */
export function redactConfig(values: RunConfig): RunConfig {
  return redactValue(values) as RunConfig;
}
