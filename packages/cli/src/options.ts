import type { Command } from 'commander';
import { parseKafkaProperties, resolveBrokers, type KafkaProperties } from '@seda/kafka';

/** Adds the connection options every Kafka command takes. */
export function withConnection(cmd: Command): Command {
  return cmd
    .option('--brokers <list>', 'Kafka bootstrap servers (default: SEDA_BROKERS, then .seda/broker.json)')
    .option('--kafka <key=value>', 'librdkafka property (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--verbose', 'print stack traces of errors');
}

/** Brokers and librdkafka properties from a command's options. */
export function connection(flags: { brokers?: string; kafka?: string[] }): { brokers: string; kafka: KafkaProperties } {
  return { brokers: resolveBrokers({ brokers: flags.brokers }), kafka: parseKafkaProperties(flags.kafka ?? []) };
}

/** A whole number option >= min, or a clear error. */
export function intOption(value: string | undefined, flag: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be a whole number >= ${min} (got "${value}")`);
  return n;
}
