import { z } from 'zod';
import { deliveryModes } from '@seda/core';

/** Log levels a stage instance accepts. */
export const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const name = z.string().trim().min(1);
const kafkaValue = z.union([z.string(), z.number(), z.boolean()]);

/**
 * The configuration of one stage instance (`seda run`), one zod schema per
 * key. Every key can come from a flag, a `SEDA_*` environment variable or the
 * `--config` JSON file (that order of precedence), else its default.
 */
export const runConfigSchema = z.strictObject({
  brokers: name,
  group: name,
  mode: z.enum(deliveryModes),
  fromBeginning: z.boolean(),
  input: name,
  outputs: z.record(name, name),
  tables: z.record(name, name),
  dlqTopic: name,
  instances: int(1, 256),
  maxRestarts: int(0, 1000),
  stateDir: name,
  changelog: z.boolean(),
  standby: z.boolean(),
  announce: z.boolean(),
  kafka: z.record(name, kafkaValue),
  commitIntervalMs: int(10, 3_600_000),
  batchSize: int(1, 100_000),
  concurrency: int(1, 1024),
  revokeTimeoutMs: int(100, 600_000),
  shutdownTimeoutMs: int(100, 3_600_000),
  tableIdleMs: int(0, 600_000),
  connectAttempts: int(1, 100),
  connectBackoffMs: int(0, 60_000),
  connectTimeoutMs: int(100, 300_000),
  metricsPort: int(0, 65_535),
  metricsHost: name,
  logLevel: z.enum(logLevels),
});

/** A stage instance's configuration (every key optional: defaults apply where absent). */
export type RunConfig = Partial<z.infer<typeof runConfigSchema>>;
/** A key of {@link RunConfig}. */
export type RunConfigKey = keyof z.infer<typeof runConfigSchema>;

/** How a key is given on the command line and in the environment, and its default. */
export interface RunConfigField {
  key: RunConfigKey;
  /** The flag as commander declares it. */
  flag: string;
  /** The environment variable (for `kafka`: a prefix). */
  env: string;
  kind: 'string' | 'int' | 'boolean' | 'enum' | 'map';
  /** The default, or what it is when unset. */
  defaultValue?: string | number | boolean;
  defaultText?: string;
  description: string;
}

/** Every key: the source of `seda run --help`, `seda config --print` and the README's table. */
export const runConfigFields: readonly RunConfigField[] = [
  { key: 'brokers', flag: '--brokers <list>', env: 'SEDA_BROKERS', kind: 'string', defaultText: '.seda/broker.json (seda broker)', description: 'Kafka bootstrap servers, host:port,...' },
  { key: 'group', flag: '--group <id>', env: 'SEDA_GROUP', kind: 'string', defaultText: 'the stage name', description: 'consumer group' },
  { key: 'mode', flag: '--mode <mode>', env: 'SEDA_MODE', kind: 'enum', defaultText: 'state if the stage has state, else at-least-once', description: `delivery mode: ${deliveryModes.join(', ')}` },
  { key: 'fromBeginning', flag: '--from-beginning', env: 'SEDA_FROM_BEGINNING', kind: 'boolean', defaultValue: false, description: 'start partitions with no committed/stored offset at the beginning' },
  { key: 'input', flag: '--input <topic>', env: 'SEDA_INPUT', kind: 'string', defaultText: "the stage's input topic", description: 'read this topic instead' },
  { key: 'outputs', flag: '--output <name=topic>', env: 'SEDA_OUTPUTS', kind: 'map', defaultText: "the stage's output topics", description: 'send an output to another topic (flag repeatable; env: name=topic,name=topic)' },
  { key: 'tables', flag: '--table <name=topic>', env: 'SEDA_TABLES', kind: 'map', defaultText: "the stage's table topics", description: 'read a table from another topic (flag repeatable; env: name=topic,name=topic; see docs/tables.md)' },
  { key: 'dlqTopic', flag: '--dlq-topic <topic>', env: 'SEDA_DLQ_TOPIC', kind: 'string', defaultText: '<input>.dlq', description: 'dead-letter topic' },
  { key: 'instances', flag: '--instances <n>', env: 'SEDA_INSTANCES', kind: 'int', defaultValue: 1, description: 'worker processes in one group (1-256); each is restarted if it dies. Workers run in their own process group and outlive a killed supervisor by design: a worker whose supervisor is gone (even by SIGKILL of its process group) drains, commits and stops gracefully, it does not crash' },
  { key: 'maxRestarts', flag: '--max-restarts <n>', env: 'SEDA_MAX_RESTARTS', kind: 'int', defaultValue: 5, description: 'with --instances: restarts allowed per worker (0-1000)' },
  { key: 'stateDir', flag: '--state-dir <dir>', env: 'SEDA_STATE_DIR', kind: 'string', defaultText: '.seda/state/<group>', description: 'state directory (state and exactly-once modes): one LevelDB per input partition; the workers of a group on one machine share it' },
  { key: 'changelog', flag: '--changelog <bool>', env: 'SEDA_CHANGELOG', kind: 'boolean', defaultValue: true, description: 'stateful stages: write state changes to the topic <group>-<stage>-changelog, so state follows its partitions to other machines (false: local state only)' },
  { key: 'standby', flag: '--standby', env: 'SEDA_STANDBY', kind: 'boolean', defaultValue: false, description: 'stateful stages with a changelog: keep warm copies of the partitions other instances own, so a hand-off restores only the newest records (needs its own --state-dir)' },
  { key: 'announce', flag: '--no-announce', env: 'SEDA_ANNOUNCE', kind: 'boolean', defaultValue: true, description: 'do not publish this instance to the topic _seda_stages (the pipeline page then knows only what seda describe knows)' },
  { key: 'kafka', flag: '--kafka <key=value>', env: 'SEDA_KAFKA_', kind: 'map', defaultText: '{}', description: 'librdkafka property for consumer and producer (flag repeatable; env: SEDA_KAFKA_SASL_PASSWORD=... sets sasl.password)' },
  { key: 'commitIntervalMs', flag: '--commit-interval <ms>', env: 'SEDA_COMMIT_INTERVAL_MS', kind: 'int', defaultValue: 1000, description: 'commit at least this often (10-3600000)' },
  { key: 'batchSize', flag: '--batch-size <n>', env: 'SEDA_BATCH_SIZE', kind: 'int', defaultValue: 1000, description: 'max records per consumed batch (1-100000)' },
  { key: 'concurrency', flag: '--concurrency <n>', env: 'SEDA_CONCURRENCY', kind: 'int', defaultValue: 4, description: 'partitions an async process() works on at once; records of one partition stay in order (1-1024)' },
  { key: 'revokeTimeoutMs', flag: '--revoke-timeout <ms>', env: 'SEDA_REVOKE_TIMEOUT_MS', kind: 'int', defaultValue: 10_000, description: 'how long a revoke waits for in-flight records (100-600000)' },
  { key: 'shutdownTimeoutMs', flag: '--shutdown-timeout <ms>', env: 'SEDA_SHUTDOWN_TIMEOUT_MS', kind: 'int', defaultValue: 30_000, description: 'how long a graceful stop waits for in-flight records (100-3600000)' },
  { key: 'tableIdleMs', flag: '--table-idle <ms>', env: 'SEDA_TABLE_IDLE_MS', kind: 'int', defaultValue: 2000, description: 'stages with tables: how long a batch waits for a table consumer that is behind and has nothing newer than the batch, before going on without the timestamp order (0-600000; see docs/tables.md)' },
  { key: 'connectAttempts', flag: '--connect-attempts <n>', env: 'SEDA_CONNECT_ATTEMPTS', kind: 'int', defaultValue: 5, description: 'attempts to reach Kafka at start before giving up (1-100)' },
  { key: 'connectBackoffMs', flag: '--connect-backoff <ms>', env: 'SEDA_CONNECT_BACKOFF_MS', kind: 'int', defaultValue: 1000, description: 'wait before the 2nd attempt; doubles each time, at most 30 s (0-60000)' },
  { key: 'connectTimeoutMs', flag: '--connect-timeout <ms>', env: 'SEDA_CONNECT_TIMEOUT_MS', kind: 'int', defaultValue: 10_000, description: 'how long one attempt waits for the broker (100-300000)' },
  { key: 'metricsPort', flag: '--metrics-port <port>', env: 'SEDA_METRICS_PORT', kind: 'int', defaultText: 'off', description: '/metrics, /healthz, /readyz on this port (0: any free port; with --instances N, worker i uses port+i)' },
  { key: 'metricsHost', flag: '--metrics-host <host>', env: 'SEDA_METRICS_HOST', kind: 'string', defaultValue: '0.0.0.0', description: 'interface the metrics port listens on' },
  { key: 'logLevel', flag: '--log-level <level>', env: 'SEDA_LOG_LEVEL', kind: 'enum', defaultValue: 'info', description: `log level: ${logLevels.join(', ')}` },
];
