import type { Command } from 'commander';
import { groupLag, retentionLosses } from '@seda/kafka';
import { connection, withConnection } from '../options.js';

/** `seda lag <group>`: committed offset, log start, high watermark and lag per partition; warns about records lost to retention. */
export function registerLagCommand(program: Command): void {
  withConnection(
    program
      .command('lag')
      .description('a consumer group\'s committed offset, log start (low), high watermark and lag per partition; warns when it lost records to retention')
      .argument('<group>'),
  )
    .option('--topic <name>', 'only this topic (repeatable); lists its partitions the group never committed on too', (v: string, prev: string[] = []) => [...prev, v])
    .option('--json', 'print JSON')
    .action(async (group: string, flags: { topic?: string[]; json?: boolean; brokers?: string; kafka?: string[] }) => {
      const { brokers, kafka } = connection(flags);
      const rows = await groupLag(brokers, group, flags.topic, kafka);
      // Retention deleted records the group had not read yet: say so, whatever the output format.
      for (const l of retentionLosses(rows)) {
        process.stderr.write(
          `warning: group "${group}" lost ${l.lost} records of ${l.topic}/${l.partition} to retention: its committed offset ${l.from} is below the log start ${l.logStart}\n`,
        );
      }
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(rows)}\n`);
        return;
      }
      if (rows.length === 0) {
        process.stderr.write(`group "${group}" has no committed offsets${flags.topic ? ` on ${flags.topic.join(', ')}` : ''}\n`);
        return;
      }
      process.stdout.write('topic\tpartition\tcommitted\tlow\thigh\tlag\n');
      for (const r of rows) process.stdout.write(`${r.topic}\t${r.partition}\t${r.committed < 0 ? '-' : r.committed}\t${r.low}\t${r.high}\t${r.lag}\n`);
      process.stdout.write(`total lag: ${rows.reduce((n, r) => n + r.lag, 0)}\n`);
    });
}
