import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { SedaError } from '@seda/core';
import { brokerControl, brokerFile, brokerInfoTopic, findBrokerControl, serveControl, startBroker } from '@seda/kafka';
import { connection, intOption, withConnection } from '../options.js';

/** `seda broker`: librdkafka's mock cluster in the foreground, with a control channel. */
export function registerBrokerCommand(program: Command): void {
  program
    .command('broker')
    .description(
      'run an embedded Kafka broker (librdkafka\'s mock cluster) in the foreground. IN MEMORY ONLY: all data is lost when it stops, ' +
        'and it keeps only about 5 MiB per partition (older records are deleted from the log start). For tests, demos and benches; ' +
        'production points --brokers at a Kafka cluster. Other seda commands find it from any directory with --brokers or SEDA_BROKERS ' +
        `(it announces its control channel on its own topic ${brokerInfoTopic}), and in this directory through ${brokerFile}.`,
    )
    .option('--brokers <n>', 'number of brokers', '3')
    .option('--partitions <p>', 'partitions of the topics given with --topic without a count', '4')
    .option('--topic <name[:partitions]>', 'create this topic at start (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--rebalance-delay <ms>', 'group initial rebalance delay (Kafka\'s default is 3000)', '0')
    .option('--control-port <port>', 'port of the loopback HTTP control channel (default: any free port)', '0')
    .option('--verbose', 'print stack traces of errors')
    .action(async (flags: { brokers: string; partitions: string; topic?: string[]; rebalanceDelay: string; controlPort: string }) => {
      const partitions = intOption(flags.partitions, '--partitions', 1)!;
      const broker = await startBroker({
        brokers: intOption(flags.brokers, '--brokers', 1),
        initialRebalanceDelayMs: intOption(flags.rebalanceDelay, '--rebalance-delay', 0),
      });
      for (const t of flags.topic ?? []) {
        const [name, count] = t.split(':');
        await broker.createTopic(name, count === undefined ? partitions : intOption(count, `--topic ${t}`, 1)!);
      }
      const control = await serveControl(broker, intOption(flags.controlPort, '--control-port', 0));
      const file = join(process.cwd(), brokerFile);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${JSON.stringify({ bootstrap: broker.bootstrap, control: control.url, pid: process.pid })}\n`);
      process.stdout.write(`bootstrap: ${broker.bootstrap}\ncontrol: ${control.url}\n`);
      process.stderr.write(
        `embedded broker running in memory (data is lost on exit); wrote ${brokerFile}; from another directory: SEDA_BROKERS=${broker.bootstrap}; Ctrl-C to stop\n`,
      );
      let stopping = false;
      const stop = (): void => {
        if (stopping) process.exit(130);
        stopping = true;
        rmSync(file, { force: true });
        // librdkafka's teardown may wait for connected clients: never let it keep the process alive.
        setTimeout(() => process.exit(0), 3000).unref();
        void control
          .close()
          .then(() => broker.stop(2500))
          .finally(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      await new Promise<never>(() => {});
    });
}

/** A broker id argument: a whole number >= 1, or -1 for every broker. */
function brokerId(value: string): number {
  if (value === '-1') return -1;
  return intOption(value, '<broker>', 1)!;
}

/** `seda chaos`: fault injection into a running `seda broker` through its control channel. */
export function registerChaosCommand(program: Command): void {
  const chaos = program
    .command('chaos')
    .description('inject faults into a running `seda broker`, found through --brokers / SEDA_BROKERS, or .seda/broker.json in this directory');
  const client = async (flags: { brokers?: string; kafka?: string[] }) => {
    const { brokers, kafka } = connection(flags);
    const url = await findBrokerControl(brokers, { kafka });
    if (url === undefined) {
      throw new SedaError('SEDA_BROKER_CONTROL', `${brokers} is not seda's embedded broker (it has no ${brokerInfoTopic} topic): seda chaos drives only a broker started with \`seda broker\``);
    }
    return brokerControl(url);
  };
  type Flags = { brokers?: string; kafka?: string[] };
  withConnection(chaos.command('down <broker>').description('take a broker down (-1: every broker)')).action(async (id: string, flags: Flags) =>
    (await client(flags)).setBrokerDown(brokerId(id)),
  );
  withConnection(chaos.command('up <broker>').description('bring a broker back up (-1: every broker)')).action(async (id: string, flags: Flags) =>
    (await client(flags)).setBrokerUp(brokerId(id)),
  );
  withConnection(chaos.command('rtt <broker> <ms>').description('add round-trip latency to a broker (-1: every broker)')).action(async (id: string, ms: string, flags: Flags) =>
    (await client(flags)).setRtt(brokerId(id), intOption(ms, '<ms>', 0)!),
  );
  withConnection(
    chaos.command('errors <api> <codes...>').description('fail the next requests of an API (name like Produce or key number) with these Kafka error codes'),
  ).action(async (api: string, codes: string[], flags: Flags) => {
    const errors = codes.map((c) => {
      if (!/^-?\d+$/.test(c)) throw new Error(`error code "${c}" is not a number (a Kafka error code, e.g. 6 for NOT_LEADER_OR_FOLLOWER)`);
      return Number(c);
    });
    await (await client(flags)).pushRequestErrors(/^\d+$/.test(api) ? Number(api) : api, errors);
  });
  withConnection(chaos.command('leader <topic> <partition> <broker>').description("move a partition's leadership to a broker")).action(
    async (topic: string, partition: string, broker: string, flags: Flags) =>
      (await client(flags)).setPartitionLeader(topic, intOption(partition, '<partition>', 0)!, brokerId(broker)),
  );
}
