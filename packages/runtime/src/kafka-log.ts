import type { Logger } from '@seda/core';
import type { KafkaProperties } from '@seda/kafka';

/** What node-rdkafka's `event.log` carries: a librdkafka log line. */
export interface KafkaLogEvent {
  /** syslog severity 0-7. */
  severity: number;
  /** librdkafka facility, e.g. `FAIL`, `REBALANCE`. */
  fac: string;
  message: string;
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug';

/** syslog severities (librdkafka's) to pino levels: 0-2 fatal, 3 error, 4 warn, 5-6 info, 7 debug. */
export function pinoLevelOf(severity: number): Level {
  if (severity <= 2) return 'fatal';
  if (severity === 3) return 'error';
  if (severity === 4) return 'warn';
  if (severity <= 6) return 'info';
  return 'debug';
}

/**
 * librdkafka logging properties matching a pino level: `log_level` so that
 * librdkafka does not produce lines pino would drop, and at `trace` the
 * `debug` contexts of consumer groups, fetching and brokers. Properties the
 * user gives win over these.
 */
export function kafkaLogProperties(pinoLevel: string | undefined): KafkaProperties {
  switch (pinoLevel) {
    case 'trace':
      return { log_level: 7, debug: 'broker,cgrp,topic,fetch,consumer' };
    case 'debug':
      return { log_level: 7 };
    case 'warn':
      return { log_level: 4 };
    case 'error':
      return { log_level: 3 };
    case 'fatal':
    case 'silent':
      return { log_level: 2 };
    default:
      return { log_level: 6 };
  }
}

/** The level of a pino logger (any logger with a string `level`), else undefined. */
export function levelOf(log: Logger): string | undefined {
  const level = (log as { level?: unknown }).level;
  return typeof level === 'string' ? level : undefined;
}

/** Routes a node-rdkafka client's `event.log` into `log` (a child bound to `kafka: <client>`), at the matching level. */
export function routeKafkaLogs(client: { on(event: 'event.log', listener: (e: KafkaLogEvent) => void): unknown }, log: Logger, name: string): void {
  const child = log.child({ kafka: name });
  client.on('event.log', (e: KafkaLogEvent) => child[pinoLevelOf(e.severity)]({ fac: e.fac, severity: e.severity }, e.message));
}
