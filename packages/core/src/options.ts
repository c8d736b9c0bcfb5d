import { parseDuration } from './duration.js';
import { SedaError } from './errors.js';

/**
 * Plugin options: the settings a stage or a source declares (a tariff, a
 * threshold, a rate), with types, defaults and descriptions. The runtime
 * resolves them once, before the first record, from whatever layers the
 * caller has (the CLI: `--<name> value` / `--set name=value` > `SEDA_OPT_<NAME>`
 * env > `--config` file > the declared default), and hands the typed values to
 * the plugin as `ctx.options`. Values given as strings (flags, env) are parsed
 * by type; every problem is reported at once in one `SEDA_OPTIONS_INVALID` error.
 */

/** Value types an option can have. `duration` resolves to milliseconds, `time` to epoch milliseconds. */
export type OptionType = 'string' | 'number' | 'integer' | 'boolean' | 'duration' | 'time';

/** The resolved value of each option type. */
export interface OptionValueTypes {
  string: string;
  number: number;
  integer: number;
  boolean: boolean;
  duration: number;
  time: number;
}

/** One declared option. */
export interface OptionSpec<T extends OptionType = OptionType> {
  type: T;
  /** One line, shown by `seda describe`. */
  description: string;
  /** Used when no layer gives a value; durations accept `5m`, times an ISO-8601 string. */
  default?: OptionValueTypes[T] | (T extends 'duration' | 'time' ? string : never);
  /** Resolution fails when no layer gives a value and there is no default. */
  required?: boolean;
  /** Bounds of numbers, integers and durations (ms), inclusive. */
  min?: number;
  max?: number;
  /** The values a string option may take. */
  choices?: readonly string[];
  /** A further check of a parsed value: returns what is wrong ("must be ..."), or undefined. */
  check?(value: OptionValueTypes[T]): string | undefined;
}

/** The options a plugin declares, by name (camelCase; `--kebab-case` on the command line). */
export type OptionsSchema = { readonly [name: string]: OptionSpec };

type ValueOf<S> = S extends { type: infer T extends OptionType } ? OptionValueTypes[T] : never;

/** The resolved, typed values of a schema: options with a default or `required` are always set. */
export type OptionValues<S extends OptionsSchema> = {
  readonly [K in keyof S]: S[K] extends { default: unknown } | { required: true } ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** camelCase name from a kebab-case or camelCase one: `peak-price` -> `peakPrice`. */
export function optionName(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The command-line flag of an option: `peakPrice` -> `--peak-price`. */
export function optionFlag(name: string): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The environment variable of an option: `peakPrice` -> `SEDA_OPT_PEAK_PRICE`. */
export function optionEnvName(name: string): string {
  return `SEDA_OPT_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/**
 * Parses an ISO-8601 time with a zone (`2026-01-01T00:00:00Z`,
 * `2026-01-01T01:00+01:00`) or a number of epoch milliseconds. A time without
 * a zone is refused: it would mean whatever the local zone of the machine is.
 */
export function parseTime(value: string | number, what = 'time'): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    if (/^-?\d+$/.test(value.trim())) return Number(value.trim());
    if (ISO_TIME.test(value.trim())) {
      const t = Date.parse(value.trim());
      if (Number.isFinite(t)) return t;
    }
  }
  throw new SedaError('SEDA_OPTIONS_INVALID', `${what}: "${String(value)}" is not a time; use ISO-8601 with a zone (e.g. 2026-01-01T00:00:00Z) or epoch milliseconds`);
}

/** Parses one value (a string from a flag or env, or a typed value from code or a file); returns the value or what is wrong. */
function parseValue(spec: OptionSpec, raw: unknown): { value?: unknown; problem?: string } {
  const text = typeof raw === 'string' ? raw.trim() : undefined;
  switch (spec.type) {
    case 'string':
      if (typeof raw !== 'string') return { problem: 'must be a string' };
      if (spec.choices && !spec.choices.includes(raw)) return { problem: `must be one of ${spec.choices.join(', ')} (got "${raw}")` };
      return { value: raw };
    case 'boolean':
      if (typeof raw === 'boolean') return { value: raw };
      if (text === 'true' || text === '1' || text === 'yes' || text === '') return { value: true };
      if (text === 'false' || text === '0' || text === 'no') return { value: false };
      return { problem: `must be true or false (got "${String(raw)}")` };
    case 'number':
    case 'integer': {
      const n = typeof raw === 'number' ? raw : text !== undefined && text !== '' ? Number(text) : Number.NaN;
      if (!Number.isFinite(n)) return { problem: `must be a number (got "${String(raw)}")` };
      if (spec.type === 'integer' && !Number.isInteger(n)) return { problem: `must be a whole number (got ${n})` };
      return { value: n };
    }
    case 'duration':
      try {
        return { value: parseDuration(raw as string | number) };
      } catch {
        return { problem: `must be a duration such as 30s, 5m or a number of ms (got "${String(raw)}")` };
      }
    case 'time':
      try {
        return { value: parseTime(raw as string | number) };
      } catch {
        return { problem: `must be an ISO-8601 time with a zone (e.g. 2026-01-01T00:00:00Z) or epoch ms (got "${String(raw)}")` };
      }
    default:
      return { problem: `has an unknown type "${String((spec as OptionSpec).type)}"` };
  }
}

const optionTypes: readonly OptionType[] = ['string', 'number', 'integer', 'boolean', 'duration', 'time'];

/** Problems of a declared schema (checked once, by defineStage / defineSource). */
export function checkOptionsSchema(schema: unknown): string[] {
  if (schema === undefined) return [];
  if (schema === null || typeof schema !== 'object') return ['"options" must be an object of option specs'];
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(schema as { [k: string]: OptionSpec })) {
    if (!/^[a-z][a-zA-Z0-9]*$/.test(name)) problems.push(`option "${name}" must be a camelCase name (it becomes ${optionFlag(name)})`);
    if (!spec || !optionTypes.includes(spec.type)) {
      problems.push(`option "${name}" needs a "type": one of ${optionTypes.join(', ')}`);
      continue;
    }
    if (typeof spec.description !== 'string' || spec.description === '') problems.push(`option "${name}" needs a "description"`);
    if (spec.check !== undefined && typeof spec.check !== 'function') problems.push(`option "${name}": "check" must be a function`);
    if (spec.default !== undefined) {
      const p = validate(spec, spec.default);
      if (p) problems.push(`option "${name}": the default ${p}`);
    }
  }
  return problems;
}

/** What is wrong with a value of an option ("must be ..."), or undefined. */
function validate(spec: OptionSpec, raw: unknown): string | undefined {
  const { value, problem } = parseValue(spec, raw);
  if (problem) return problem;
  const n = value as number;
  if (spec.min !== undefined && n < spec.min) return `must be at least ${spec.min} (got ${n})`;
  if (spec.max !== undefined && n > spec.max) return `must be at most ${spec.max} (got ${n})`;
  return spec.check?.(value as never);
}

/**
 * Resolves the options of `owner` (a stage or source name) from `given`
 * (names in camelCase or kebab-case; values typed or as strings) and the
 * declared defaults. Unknown names, bad values and missing required options
 * are all listed in one `SEDA_OPTIONS_INVALID` error.
 */
export function resolveOptions<S extends OptionsSchema>(schema: S | undefined, given: { readonly [name: string]: unknown } | undefined, owner: string): OptionValues<S> {
  const specs: OptionsSchema = schema ?? {};
  const problems: string[] = [];
  const values: { [name: string]: unknown } = {};
  const byName = new Map<string, unknown>();
  for (const [rawName, v] of Object.entries(given ?? {})) {
    if (v === undefined) continue;
    const name = optionName(rawName);
    if (!(name in specs)) {
      const known = Object.keys(specs);
      problems.push(`unknown option "${rawName}" (${known.length > 0 ? `its options are: ${known.join(', ')}` : 'it takes no options'})`);
      continue;
    }
    byName.set(name, v);
  }
  for (const [name, spec] of Object.entries(specs)) {
    const raw = byName.has(name) ? byName.get(name) : spec.default;
    if (raw === undefined) {
      if (spec.required) problems.push(`"${name}" is required (${optionFlag(name)} <${spec.type}>): ${spec.description}`);
      continue;
    }
    const problem = validate(spec, raw);
    if (problem) problems.push(`"${name}" ${problem}`);
    else values[name] = parseValue(spec, raw).value;
  }
  if (problems.length > 0) {
    throw new SedaError('SEDA_OPTIONS_INVALID', `options of "${owner}" are invalid: ${problems.join('; ')} (see: seda describe ${owner})`);
  }
  return Object.freeze(values) as OptionValues<S>;
}

/** One line per option, for `seda describe` and help texts. */
export function describeOptions(schema: OptionsSchema | undefined): string[] {
  return Object.entries(schema ?? {}).map(([name, spec]) => {
    const extra = [
      spec.default !== undefined ? `default ${String(spec.default)}` : spec.required ? 'required' : undefined,
      spec.choices ? `one of ${spec.choices.join('|')}` : undefined,
      spec.min !== undefined ? `min ${spec.min}` : undefined,
      spec.max !== undefined ? `max ${spec.max}` : undefined,
    ].filter((x) => x !== undefined);
    return `${optionFlag(name)} <${spec.type}>  ${spec.description}${extra.length > 0 ? ` (${extra.join(', ')})` : ''}`;
  });
}
