import { pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

/** Log levels `--log-level` accepts. */
export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/**
 * The CLI's one logger: JSON lines on stderr when stderr is not a TTY (for
 * log shippers), readable lines when it is. Secrets are redacted.
 */
export function createLogger(level: string = 'info', options: { pretty?: boolean } = {}): PinoLogger {
  const redact = { paths: ['*.password', '*["sasl.password"]', '*["ssl.key.password"]', '*["sasl.oauthbearer.client.secret"]'], censor: '[redacted]' };
  const usePretty = options.pretty ?? process.stderr.isTTY === true;
  if (usePretty) {
    return pino({ level, redact }, pretty({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname' }));
  }
  return pino({ level, redact }, pino.destination({ dest: 2, sync: false }));
}
