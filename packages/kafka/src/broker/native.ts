import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { SedaError } from '@seda/core';

/** The N-API binding of librdkafka's mock cluster API (native/mock_cluster.c). */
export interface MockBinding {
  create(brokers: number): object;
  bootstraps(handle: object): string;
  topicCreate(handle: object, topic: string, partitions: number, replication: number): void;
  rebalanceDelay(handle: object, ms: number): void;
  brokerDown(handle: object, id: number): void;
  brokerUp(handle: object, id: number): void;
  brokerRtt(handle: object, id: number, ms: number): void;
  pushRequestErrors(handle: object, apiKey: number, errors: number[]): void;
  clearRequestErrors(handle: object, apiKey: number): void;
  partitionLeader(handle: object, topic: string, partition: number, brokerId: number): void;
  destroy(handle: object): Promise<void>;
}

let binding: MockBinding | undefined;

/**
 * The command that builds the binding where this @seda/kafka sits: the seda
 * repository's script in its checkout, else npm rebuild (which reruns the
 * package's postinstall, scripts/build-native.js).
 */
export function buildBindingCommand(): string {
  try {
    const root = JSON.parse(readFileSync(new URL('../../../../../package.json', import.meta.url), 'utf8')) as { name?: string; workspaces?: unknown };
    if (root.name === 'seda' && Array.isArray(root.workspaces)) return 'npm run build:native';
  } catch {
    // not in the seda repository
  }
  return 'npm rebuild @seda/kafka';
}

/** Loads the binding once; a clear error if it was not built. */
export function loadBinding(): MockBinding {
  if (binding) return binding;
  try {
    binding = createRequire(import.meta.url)('../../../native/build/Release/seda_mock.node') as MockBinding;
  } catch (err) {
    throw new SedaError(
      'SEDA_BROKER_BINDING',
      `the embedded broker's native binding is not built (${(err as Error).message.split('\n')[0]}); run "${buildBindingCommand()}" ` +
        '(npm install runs it, unless SEDA_SKIP_NATIVE=1; it needs node-rdkafka built with its bundled librdkafka, a C compiler, make and python3)',
      { cause: err },
    );
  }
  return binding;
}
