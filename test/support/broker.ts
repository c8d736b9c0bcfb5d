import { serveControl, startBroker, type ControlServer, type EmbeddedBroker } from '@seda/kafka';

let broker: EmbeddedBroker | undefined;
let control: Promise<ControlServer> | undefined;
let counter = 0;

/** Starts the run's shared embedded broker (called by the root hook). */
export async function startTestBroker(): Promise<EmbeddedBroker> {
  broker ??= await startBroker({ brokers: 3, initialRebalanceDelayMs: 0 });
  process.env.SEDA_BROKERS = broker.bootstrap;
  return broker;
}

/** Stops the shared broker (bounded). */
export async function stopTestBroker(): Promise<void> {
  const b = broker;
  broker = undefined;
  const c = control;
  control = undefined;
  await (await c)?.close();
  await b?.stop(5000);
}

/** The run's shared embedded broker. */
export function testBroker(): EmbeddedBroker {
  if (!broker) throw new Error('the embedded test broker is not running (root hook test/hooks/root-hooks.ts)');
  return broker;
}

/**
 * The URL of a control channel serving the shared broker (started on first
 * use), for `seda` processes that create topics: pass it to them as
 * `SEDA_BROKER_CONTROL` (the mock has no CreateTopics API).
 */
export async function testBrokerControl(): Promise<string> {
  control ??= serveControl(testBroker());
  return (await control).url;
}

/** A topic name unique to this run. */
export function uniqueTopic(prefix: string): string {
  return `${prefix}-${process.pid}-${++counter}`;
}

/** Creates a unique topic with `partitions` partitions and returns its name. */
export async function createTestTopic(prefix: string, partitions: number): Promise<string> {
  const name = uniqueTopic(prefix);
  await testBroker().createTopic(name, partitions);
  return name;
}
