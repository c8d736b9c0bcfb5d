import { optionEnvName, optionFlag, optionName, SedaError, splitKeyValue, type OptionsSchema } from '@seda/core';

/** Where a plugin's option values come from, lowest precedence first. */
export interface PluginOptionLayers {
  /** `options` of the `--config` JSON file (typed values). */
  file?: { readonly [name: string]: unknown };
  /** The environment (`SEDA_OPT_<NAME>`). */
  env?: NodeJS.ProcessEnv;
  /** `--set name=value` pairs. */
  sets?: string[];
  /** The command-line arguments after the stage that `seda run` does not know itself (`--peak-price 0.3`). */
  args?: string[];
}

function invalid(owner: string, schema: OptionsSchema, problem: string): SedaError {
  const flags = Object.keys(schema).map(optionFlag);
  return new SedaError(
    'SEDA_OPTIONS_INVALID',
    `${problem} for "${owner}" (${flags.length > 0 ? `its options: ${flags.join(', ')}` : 'it takes no options'}; see: seda describe ${owner}; seda run's own options: seda run --help)`,
  );
}

/**
 * Merges the option values given to a plugin on the command line: flags
 * (`--name value`, `--name=value`, `--flag`/`--no-flag` for booleans) >
 * `--set name=value` > `SEDA_OPT_<NAME>` > the `--config` file. Values stay
 * strings here; `resolveOptions` parses and checks them with the schema.
 */
export function pluginOptionValues(owner: string, schema: OptionsSchema, layers: PluginOptionLayers): { [name: string]: unknown } {
  const values: { [name: string]: unknown } = { ...layers.file };
  const env = layers.env ?? {};
  for (const name of Object.keys(schema)) {
    const v = env[optionEnvName(name)];
    if (v !== undefined) values[name] = v;
  }
  for (const pair of layers.sets ?? []) {
    const kv = splitKeyValue(pair);
    if (kv === undefined) throw invalid(owner, schema, `--set "${pair}" is not <name>=<value>`);
    values[optionName(kv.key)] = kv.value;
  }
  const args = layers.args ?? [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith('--') || arg === '--') throw invalid(owner, schema, `unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const flag = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const negated = flag.startsWith('no-') && schema[optionName(flag.slice(3))]?.type === 'boolean';
    const name = optionName(negated ? flag.slice(3) : flag);
    const spec = schema[name];
    if (spec === undefined) throw invalid(owner, schema, `unknown option --${flag}`);
    if (negated) {
      if (eq >= 0) throw invalid(owner, schema, `--${flag} takes no value`);
      values[name] = false;
    } else if (eq >= 0) {
      values[name] = arg.slice(eq + 1);
    } else if (spec.type === 'boolean') {
      values[name] = true;
    } else {
      const next = args[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw invalid(owner, schema, `--${flag} needs a value (<${spec.type}>)`);
      values[name] = next;
      i++;
    }
  }
  return values;
}

/** Plugin options whose flag is one of `seda run`'s own (which would take it): they must be renamed. */
export function collidingOptions(schema: OptionsSchema, ownFlags: string[]): string[] {
  const own = new Set(ownFlags);
  return Object.keys(schema).filter((name) => own.has(optionFlag(name)));
}
