import type { Command } from 'commander';
import { listDeadLetters, parseOffsets, replayDeadLetters, TopicReader } from '@seda/runtime';
import { connection, intOption, withConnection } from '../options.js';

type Flags = { brokers?: string; kafka?: string[]; json?: boolean };

/** `seda dlq list <topic>` and `seda dlq replay <topic>`: dead letters decoded, and put back at most once. */
export function registerDlqCommand(program: Command): void {
  const dlq = program.command('dlq').description('dead letters: list them decoded, replay them to their source topic (at most once unless forced)');
  withConnection(dlq.command('list').description('dead letters of a DLQ topic with key, value, error, code and source').argument('<topic>'))
    .option('--code <code>', 'only dead letters with this error code')
    .option('--limit <n>', 'the newest n per partition (default 1000)')
    .option('--json', 'print JSON')
    .action(async (topic: string, flags: Flags & { code?: string; limit?: string }) => {
      const { brokers, kafka } = connection(flags);
      const reader = new TopicReader(brokers, kafka);
      try {
        const list = await listDeadLetters(reader, topic, { code: flags.code, limit: intOption(flags.limit, '--limit', 1) });
        if (flags.json) return void process.stdout.write(`${JSON.stringify(list)}\n`);
        process.stdout.write('partition\toffset\tcode\tsource\tkey\terror\treplayed\n');
        for (const d of list.deadLetters) {
          process.stdout.write(`${d.partition}\t${d.offset}\t${d.code}\t${d.source.topic}/${d.source.partition}@${d.source.offset}\t${d.key ?? ''}\t${d.error}\t${d.replayed ? `to ${d.replayed.to} ${d.replayed.at}` : '-'}\n`);
        }
        const codes = Object.entries(list.codes).map(([c, n]) => `${c} ${n}`).join(', ');
        process.stdout.write(`${list.deadLetters.length} dead letters${codes ? ` (${codes})` : ''}${list.foreign ? `; ${list.foreign} records are not seda dead letters` : ''}\n`);
      } finally {
        await reader.close();
      }
    });
  withConnection(dlq.command('replay').description('send dead letters back to their source topic (or --to), each with a seda.replay.from header; each is replayed once unless --force').argument('<topic>'))
    .option('--offsets <list>', 'which: partition:offset pairs or ranges, comma-separated (0:12,1:3-7)')
    .option('--all', 'every dead letter of the topic')
    .option('--to <topic>', 'send them here instead of their source topic')
    .option('--force', 'replay also those already replayed')
    .option('--json', 'print JSON')
    .action(async (topic: string, flags: Flags & { offsets?: string; all?: boolean; to?: string; force?: boolean }) => {
      if ((flags.offsets === undefined) === (flags.all !== true)) throw new Error('give exactly one of --offsets <list> or --all');
      const { brokers, kafka } = connection(flags);
      const reader = new TopicReader(brokers, kafka);
      try {
        const select = flags.all ? 'all' : parseOffsets(flags.offsets!);
        const r = await replayDeadLetters(reader, { brokers, kafka, topic, select, to: flags.to, force: flags.force });
        if (flags.json) return void process.stdout.write(`${JSON.stringify(r)}\n`);
        for (const x of r.replayed) process.stdout.write(`replayed ${topic}/${x.partition}@${x.offset} -> ${x.to}/${x.landed!.partition}@${x.landed!.offset}\n`);
        for (const x of r.skipped) process.stdout.write(`skipped ${topic}/${x.partition}@${x.offset}: already replayed to ${x.to} at ${x.already!.at} (--force to replay again)\n`);
        process.stdout.write(`${r.replayed.length} replayed, ${r.skipped.length} skipped\n`);
      } finally {
        await reader.close();
      }
    });
}
