import type { Command } from 'commander';
import { silentLogger, type InputBatch, type RawRecord } from '@seda/core';
import { clusterKafkaDefaults } from '@seda/runtime';
import { KafkaSource, requireTopics, type RetentionLoss } from '@seda/kafka';
import { connection, intOption, withConnection } from '../options.js';

function headersOf(r: RawRecord): { [key: string]: string } {
  const out: { [key: string]: string } = {};
  for (const h of r.headers ?? []) for (const k of Object.keys(h)) out[k] = String(h[k]);
  return out;
}

/** `seda consume <topic>`: prints records as `key<TAB>value` lines or JSON lines. */
export function registerConsumeCommand(program: Command): void {
  withConnection(program.command('consume').description('print the records of a topic (key<TAB>value, or JSON lines with --json)').argument('<topic>'))
    .option('--group <id>', 'consumer group (default: a throwaway group; offsets are committed for a named one)')
    .option('--from-beginning', 'start at the beginning when the group has no committed offset')
    .option('--max <n>', 'exit after this many records')
    .option('--timeout <ms>', 'exit after this long without a record')
    .option('--json', 'JSON lines: topic, partition, offset, key, value, timestamp, headers')
    .action(
      async (
        topic: string,
        flags: { group?: string; fromBeginning?: boolean; max?: string; timeout?: string; json?: boolean; brokers?: string; kafka?: string[] },
      ) => {
        const max = intOption(flags.max, '--max', 1);
        const idleMs = intOption(flags.timeout, '--timeout', 1);
        const { brokers, kafka } = connection(flags);
        await requireTopics(brokers, [topic], kafka);
        // On seda's embedded broker, short group timeouts: a named group's rebalance takes seconds, not 44 s.
        Object.assign(kafka, await clusterKafkaDefaults(brokers, kafka, silentLogger));
        const named = flags.group !== undefined;
        const groupId = flags.group ?? `seda-consume-${process.pid}-${Date.now()}`;
        const source = new KafkaSource({
          brokers,
          groupId,
          topics: [topic],
          kafka,
          fromBeginning: flags.fromBeginning === true,
        });
        source.on('retention-loss', (losses: RetentionLoss[]) => {
          for (const l of losses) {
            process.stderr.write(
              `warning: ${l.lost} records of ${l.topic}/${l.partition} were deleted by retention before group "${groupId}" read them (committed offset ${l.from}, log start ${l.logStart}); reading from ${l.logStart}\n`,
            );
          }
        });
        await source.connect();
        const positions = new Map<number, number>();
        let count = 0;
        let lastRecord = Date.now();
        let finished: Promise<number> | undefined;
        /** Commits what was printed (named group), closes; resolves with the exit code. */
        const finish = (): Promise<number> =>
          (finished ??= (async () => {
            clearInterval(idle);
            source.pause();
            let code = 0;
            if (named && positions.size > 0) {
              try {
                await source.commit([...positions].map(([partition, offset]) => ({ topic, partition, offset })));
              } catch (err) {
                // The records were printed but the group will read them again: say so, never silently.
                process.stderr.write(`error: committing the offsets of group "${groupId}" failed (${(err as Error).message}); its next consume repeats these records\n`);
                code = 1;
              }
            }
            await source.close(10_000);
            return code;
          })());
        const exitAfterFinish = (): void => void finish().then((code) => process.exit(code));
        const idle = setInterval(() => {
          if (idleMs !== undefined && Date.now() - lastRecord >= idleMs) exitAfterFinish();
        }, Math.min(200, idleMs ?? 200));
        process.once('SIGINT', exitAfterFinish);
        process.once('SIGTERM', exitAfterFinish);
        for await (const batch of source as AsyncIterable<InputBatch>) {
          lastRecord = Date.now();
          let records = batch.records;
          if (max !== undefined && count + records.length > max) records = records.slice(0, max - count);
          let text = '';
          for (const r of records) {
            if (flags.json) {
              text += `${JSON.stringify({
                topic: r.topic,
                partition: r.partition,
                offset: r.offset,
                key: r.key == null ? null : r.key.toString(),
                value: r.value == null ? null : r.value.toString(),
                timestamp: r.timestamp,
                headers: headersOf(r),
              })}\n`;
            } else {
              text += `${r.key == null ? '' : r.key.toString()}\t${r.value == null ? '' : r.value.toString()}\n`;
            }
          }
          count += records.length;
          if (records.length > 0) positions.set(batch.partition, records[records.length - 1].offset + 1);
          if (!process.stdout.write(text)) await new Promise((r) => process.stdout.once('drain', r));
          if (max !== undefined && count >= max) break;
        }
        const code = await finish();
        await new Promise<void>((r) => process.stdout.write('', () => r()));
        process.exit(code);
      },
    );
}
