/**
 * Splits a `key=value` flag at its first `=`: the key trimmed, the value as
 * given (it may hold `=` itself). Undefined when there is no `=` or the key
 * is empty, for the caller to name the flag in its error.
 */
export function splitKeyValue(pair: string): { key: string; value: string } | undefined {
  const eq = pair.indexOf('=');
  if (eq < 0) return undefined;
  const key = pair.slice(0, eq).trim();
  return key === '' ? undefined : { key, value: pair.slice(eq + 1) };
}
