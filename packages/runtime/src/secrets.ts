/** What secret values are replaced with in logs and printed configuration. */
export const redacted = '[redacted]';

/**
 * Keys whose values are secrets: `sasl.password`, `ssl.key.password`,
 * `ssl.key.pem`, `sasl.oauthbearer.client.secret`, `sasl.oauthbearer.config`,
 * and anything naming a password, secret, token or credential.
 */
export function isSecretKey(key: string): boolean {
  return /password|secret|token|credential|passphrase|\.pem$|sasl\.oauthbearer\.config|sasl\.jaas/i.test(key);
}

/** A deep copy of `value` with the values of secret keys replaced by {@link redacted}. */
export function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (value === null || typeof value !== 'object') return value;
  const out: { [key: string]: unknown } = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) && v !== undefined ? redacted : redactValue(v);
  return out;
}

/** The values of secret keys in `value`, searched deeply (to scrub them from any output). */
export function secretValues(value: unknown, found: string[] = []): string[] {
  if (value === null || typeof value !== 'object') return found;
  for (const [k, v] of Object.entries(value)) {
    if (isSecretKey(k) && (typeof v === 'string' || typeof v === 'number') && String(v).length >= 3) found.push(String(v));
    else secretValues(v, found);
  }
  return found;
}

/**
 * A function replacing every occurrence of the given secrets (as written,
 * and as escaped inside a JSON string) by {@link redacted}: the last line of
 * defence for log lines whose fields were not redacted by key, e.g. a
 * librdkafka message quoting its configuration.
 */
export function secretScrubber(secrets: string[]): (text: string) => string {
  const forms = [...new Set(secrets.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))].filter((s) => s.length > 0);
  if (forms.length === 0) return (text) => text;
  const pattern = new RegExp(forms.sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return (text) => text.replace(pattern, redacted);
}
