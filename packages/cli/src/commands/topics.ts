import type { Command } from 'commander';
import { createTopic, describeTopic, listTopics } from '@seda/kafka';
import { connection, intOption, withConnection } from '../options.js';

/** `seda topics create|list|describe`. */
export function registerTopicsCommand(program: Command): void {
  const topics = program.command('topics').description('create, list and describe topics');
  withConnection(topics.command('create').description('create a topic').argument('<name>'))
    .requiredOption('--partitions <n>', 'number of partitions')
    .option('--replication <r>', 'replication factor', '1')
    .action(async (name: string, flags: { partitions: string; replication: string; brokers?: string; kafka?: string[] }) => {
      const partitions = intOption(flags.partitions, '--partitions', 1)!;
      const replicationFactor = intOption(flags.replication, '--replication', 1);
      const { brokers, kafka } = connection(flags);
      await createTopic(brokers, name, partitions, { replicationFactor, kafka });
      process.stdout.write(`created ${name} (${partitions} partition${partitions === 1 ? '' : 's'})\n`);
    });
  withConnection(topics.command('list').description('list topics with their partition counts'))
    .option('--json', 'print JSON')
    .option('--all', "include internal topics (named __..., like Kafka's __consumer_offsets and the embedded broker's __seda_broker)")
    .action(async (flags: { json?: boolean; all?: boolean; brokers?: string; kafka?: string[] }) => {
      const { brokers, kafka } = connection(flags);
      const list = await listTopics(brokers, kafka, { internal: flags.all === true });
      if (flags.json) process.stdout.write(`${JSON.stringify(list)}\n`);
      else for (const t of list) process.stdout.write(`${t.name}\t${t.partitions}\n`);
    });
  withConnection(topics.command('describe').description('partitions, leaders, replicas and low/high watermarks of a topic').argument('<name>'))
    .option('--json', 'print JSON')
    .action(async (name: string, flags: { json?: boolean; brokers?: string; kafka?: string[] }) => {
      const { brokers, kafka } = connection(flags);
      const parts = await describeTopic(brokers, name, kafka);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(parts)}\n`);
        return;
      }
      process.stdout.write('partition\tleader\treplicas\tlow\thigh\n');
      for (const p of parts) process.stdout.write(`${p.partition}\t${p.leader}\t${p.replicas.join(',')}\t${p.low}\t${p.high}\n`);
    });
}
