import type { Command } from 'commander';
import { groupLag } from '@seda/kafka';
import { connection, withConnection } from '../options.js';

/** `seda lag <group>`: committed offset, high watermark and lag per partition. */
export function registerLagCommand(program: Command): void {
  withConnection(program.command('lag').description('a consumer group\'s committed offset, high watermark and lag per partition').argument('<group>'))
    .option('--topic <name>', 'only this topic (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--json', 'print JSON')
    .action(async (group: string, flags: { topic?: string[]; json?: boolean; brokers?: string; kafka?: string[] }) => {
      const { brokers, kafka } = connection(flags);
      const rows = await groupLag(brokers, group, flags.topic, kafka);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(rows)}\n`);
        return;
      }
      process.stdout.write('topic\tpartition\tcommitted\thigh\tlag\n');
      for (const r of rows) process.stdout.write(`${r.topic}\t${r.partition}\t${r.committed < 0 ? '-' : r.committed}\t${r.high}\t${r.lag}\n`);
      process.stdout.write(`total lag: ${rows.reduce((n, r) => n + r.lag, 0)}\n`);
    });
}
