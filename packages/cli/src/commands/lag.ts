import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { SedaError, tpKey } from '@seda/core';
import { describeTopic, groupLag, retentionLosses, type KafkaProperties, type PartitionLag } from '@seda/kafka';
import { openStateStore } from '@seda/state';
import { connection, withConnection } from '../options.js';

/**
 * `seda lag <group>`: committed (or, with --state-dir, stored) offset, log
 * start, high watermark and lag per partition; warns about records lost to retention.
 */
export function registerLagCommand(program: Command): void {
  withConnection(
    program
      .command('lag')
      .description('a consumer group\'s committed offset, log start (low), high watermark and lag per partition; warns when it lost records to retention')
      .argument('<group>'),
  )
    .option('--topic <name>', 'only this topic (repeatable); lists its partitions the group never committed on too', (v: string, prev: string[] = []) => [...prev, v])
    .option(
      '--state-dir <dir>',
      'a state-mode stage: read the offsets stored with its state (LevelDB) instead of the group\'s commits; partitions a running stage holds are read from a copy',
    )
    .option('--json', 'print JSON')
    .action(async (group: string, flags: { topic?: string[]; json?: boolean; brokers?: string; kafka?: string[]; stateDir?: string }) => {
      const { brokers, kafka } = connection(flags);
      const stored = flags.stateDir !== undefined;
      const rows = stored ? await storedLag(brokers, kafka, resolve(flags.stateDir!), flags.topic) : await groupLag(brokers, group, flags.topic, kafka);
      // Retention deleted records the group had not read yet: say so, whatever the output format.
      for (const l of retentionLosses(rows)) {
        process.stderr.write(
          `warning: group "${group}" lost ${l.lost} records of ${l.topic}/${l.partition} to retention: its ${stored ? 'stored' : 'committed'} offset ${l.from} is below the log start ${l.logStart}\n`,
        );
      }
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(rows)}\n`);
        return;
      }
      if (rows.length === 0) {
        process.stderr.write(`group "${group}" has no ${stored ? 'stored' : 'committed'} offsets${flags.topic ? ` on ${flags.topic.join(', ')}` : ''}\n`);
        return;
      }
      process.stdout.write(`topic\tpartition\t${stored ? 'stored' : 'committed'}\tlow\thigh\tlag\n`);
      for (const r of rows) process.stdout.write(`${r.topic}\t${r.partition}\t${r.committed < 0 ? '-' : r.committed}\t${r.low}\t${r.high}\t${r.lag}\n`);
      process.stdout.write(`total lag: ${rows.reduce((n, r) => n + r.lag, 0)}\n`);
    });
}

/** Lag from the offsets stored with a stage's state (partitions a running stage holds are read from a copy). */
async function storedLag(brokers: string, kafka: KafkaProperties, dir: string, topics: string[] | undefined): Promise<PartitionLag[]> {
  const stored = new Map<string, { topic: string; partition: number; offset: number }>();
  if (!existsSync(dir)) throw new SedaError('SEDA_STATE_OPEN', `no state store at ${dir}; pass the --state-dir the stage ran with`);
  const store = await openStateStore({ dir });
  try {
    for (const o of await store.storedOffsets()) {
      if (topics === undefined || topics.includes(o.topic)) stored.set(tpKey(o.topic, o.partition), o);
    }
  } finally {
    await store.close();
  }
  const rows: PartitionLag[] = [];
  for (const topic of [...new Set([...stored.values()].map((o) => o.topic))].sort()) {
    for (const p of await describeTopic(brokers, topic, kafka)) {
      const offset = stored.get(tpKey(topic, p.partition))?.offset;
      const committed = offset ?? -1;
      rows.push({ topic, partition: p.partition, committed, high: p.high, low: p.low, lag: Math.max(0, p.high - (offset ?? p.low)) });
    }
  }
  return rows;
}
