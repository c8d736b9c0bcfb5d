import { serveControl, startBroker, type ControlServer, type EmbeddedBroker } from '@seda/kafka';

let broker: EmbeddedBroker | undefined;
let control: ControlServer | undefined;
let counter = 0;

/** Starts the run's shared embedded broker (called by the root hook). */
export async function startTestBroker(): Promise<EmbeddedBroker> {
  if (broker === undefined) {
    broker = await startBroker({ brokers: 3, initialRebalanceDelayMs: 0 });
    // seda processes the tests start create topics (changelogs) through the control channel, as with
    // `seda broker`: they find it from the bootstrap address alone (it is announced on the broker).
    control = await serveControl(broker);
    process.env.SEDA_BROKERS = broker.bootstrap;
  }
  return broker;
}

/** Stops the shared broker (bounded). */
export async function stopTestBroker(): Promise<void> {
  const b = broker;
  broker = undefined;
  await control?.close();
  control = undefined;
  await b?.stop(5000);
}

/** The run's shared embedded broker. */
export function testBroker(): EmbeddedBroker {
  if (!broker) throw new Error('the embedded test broker is not running (root hook test/hooks/root-hooks.ts)');
  return broker;
}

/**
 * The URL of the control channel serving the shared broker (seda processes
 * find it by themselves through the broker's announcement).
 */
export async function testBrokerControl(): Promise<string> {
  if (control === undefined) throw new Error('the embedded test broker is not running (root hook test/hooks/root-hooks.ts)');
  return control.url;
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
