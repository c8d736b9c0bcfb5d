import { pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import { logLevels, redacted, secretScrubber } from '@seda/runtime';

export { logLevels };

/** Fields pino redacts by name, up to three levels deep (a config object under `config.kafka`, an error's fields). */
const plainKeys = ['password', 'secret', 'token', 'passphrase'];
const dottedKeys = ['sasl.password', 'ssl.key.password', 'ssl.key.pem', 'ssl.keystore.password', 'sasl.oauthbearer.client.secret', 'sasl.oauthbearer.config'];
const redactPaths = [
  ...plainKeys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]),
  ...dottedKeys.flatMap((k) => [`*["${k}"]`, `*.*["${k}"]`, `*.*.*["${k}"]`]),
];

/**
 * The CLI's one logger: JSON lines on stderr when stderr is not a TTY (for
 * log shippers), readable lines when it is. Secrets are redacted by key
 * (pino redact) and, for the values in `secrets`, scrubbed from every line
 * whatever field they appear in.
 */
export function createLogger(level: string = 'info', options: { pretty?: boolean; secrets?: string[] } = {}): PinoLogger {
  const redact = { paths: redactPaths, censor: redacted };
  const scrub = secretScrubber(options.secrets ?? []);
  const hooks = { streamWrite: scrub };
  const usePretty = options.pretty ?? process.stderr.isTTY === true;
  if (usePretty) {
    return pino({ level, redact, hooks }, pretty({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname' }));
  }
  return pino({ level, redact, hooks }, pino.destination({ dest: 2, sync: false }));
}
