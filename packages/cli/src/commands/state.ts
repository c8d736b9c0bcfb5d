import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { isSedaError, SedaError } from '@seda/core';
import { describeTopic, listTopics, parseKafkaProperties, resolveBrokers } from '@seda/kafka';
import { openStateStore, ownerFile, partitionTopic, resetPartition, setStoredOffset } from '@seda/state';
import { stateGet } from './state-get.js';

/** `seda state <stage>`: stored partitions, offsets and key counts; dump; reset. */
export function registerStateCommand(program: Command): void {
  program
    .command('state')
    .description('inspect a stateful stage\'s LevelDB store: partitions with stored offsets, key counts, and local vs changelog position (partitions a running stage holds show as in use); seda state get <stage> <key> prints one key\'s committed value (--url: from running instances)')
    .argument('<stage>', 'stage name (the default group, so the default dir is .seda/state/<stage>)')
    .argument('[key...]', 'seda state get <stage> <key>: print one key\'s committed value')
    .option('--group <id>', 'consumer group (default: the stage name)')
    .option('--state-dir <dir>', 'state directory (default .seda/state/<group>)')
    .option('--brokers <list>', 'Kafka bootstrap servers, to compare with the changelog topic (default: SEDA_BROKERS, then .seda/broker.json; without any, local columns only)')
    .option('--kafka <key=value>', 'librdkafka property (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--dump', 'print every key and value as JSON lines')
    .option('--url <url>', 'seda state get: a running instance\'s metrics URL, http://host:port (repeatable; without, the state directory of a stopped stage is read)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--reset', 'delete the store, or with --partition that partition only (needs --yes)')
    .option('--partition <n>', 'with --reset or --offset: only this partition')
    .option('--topic <name>', 'with --partition: the input topic (when the store holds several)')
    .option('--offset <n>', 'with --partition: set the offset its state resumes at (state kept; needs --yes)')
    .option('--yes', 'confirm --reset or --offset')
    .option('--verbose', 'print stack traces of errors')
    .action(async (first: string, rest: string[], flags: StateFlags) => {
      // `seda state get <stage> <key>`: "get" comes where the stage name goes.
      if (first === 'get') {
        const [stageName, key] = rest;
        if (stageName === undefined || key === undefined) throw new SedaError('SEDA_STATE_OPEN', 'usage: seda state get <stage> <key> [--url http://host:port ...]');
        process.exitCode = await stateGet(stageName, key, flags, (line) => process.stdout.write(`${line}\n`));
        return;
      }
      if (rest.length > 0) throw new SedaError('SEDA_STATE_OPEN', `unexpected argument "${rest[0]}"; to read one key: seda state get ${first} <key>`);
      const stage = first;
      const dir = resolve(flags.stateDir ?? join('.seda', 'state', flags.group ?? stage));
      if (!existsSync(dir)) throw new SedaError('SEDA_STATE_OPEN', `no state at ${dir}; pass --state-dir (or --group) of the stage you ran`);
      if (flags.partition !== undefined || flags.offset !== undefined) {
        await repairPartition(dir, flags);
        return;
      }
      if (flags.reset) {
        if (!flags.yes) throw new SedaError('SEDA_STATE_OPEN', `--reset deletes ${dir} and everything in it; add --yes to confirm`);
        const store = await openStateStore({ dir });
        try {
          const busy = (await store.partitions()).filter((p) => p.inUse);
          if (busy.length > 0) {
            throw new SedaError(
              'SEDA_STATE_LOCKED',
              `${dir} is in use by a running stage (partitions ${busy.map((p) => `${p.topic}/${p.partition}`).join(', ')}); stop it before --reset`,
            );
          }
        } finally {
          await store.close();
        }
        rmSync(dir, { recursive: true, force: true });
        process.stdout.write(`deleted ${dir}\n`);
        return;
      }
      const store = await openStateStore({ dir });
      try {
        const parts = await store.partitions();
        if (flags.dump) {
          for (const p of parts) {
            if (p.inUse) throw new SedaError('SEDA_STATE_LOCKED', `${p.topic}/${p.partition} in ${dir} is in use by a running stage; stop it to --dump`);
            for await (const [key, value] of store.entries(p.topic, p.partition)) {
              process.stdout.write(`${JSON.stringify({ topic: p.topic, partition: p.partition, key, value })}\n`);
            }
          }
          return;
        }
        const changelog = await changelogEnds(dir, flags);
        process.stdout.write(`state: ${dir}\n`);
        if (changelog !== undefined) process.stdout.write(`changelog: ${changelog.topic}\n`);
        process.stdout.write(`topic\tpartition\toffset\tkeys${changelog ? '\tchangelog (local)\tchangelog (end)' : ''}\n`);
        for (const p of parts) {
          if (p.inUse) {
            process.stdout.write(`${p.topic}\t${p.partition}\t(in use by a running stage)\n`);
            continue;
          }
          let line = `${p.topic}\t${p.partition}\t${p.offset ?? '-'}\t${p.keys}`;
          if (changelog !== undefined) {
            const end = changelog.ends.get(p.partition);
            const local = p.changelogPosition;
            const behind = end !== undefined && local !== undefined && end > local ? ` (local copy ${end - local} behind)` : '';
            line += `\t${local ?? '-'}\t${end ?? '-'}${behind}`;
          }
          process.stdout.write(`${line}\n`);
        }
      } finally {
        await store.close();
      }
    });
}

interface StateFlags {
  group?: string;
  stateDir?: string;
  dump?: boolean;
  reset?: boolean;
  yes?: boolean;
  brokers?: string;
  kafka?: string[];
  partition?: string;
  topic?: string;
  offset?: string;
  url?: string[];
}

/** `--partition N --reset` / `--partition N --offset X`, confirmed by `--yes`. */
async function repairPartition(dir: string, flags: StateFlags): Promise<void> {
  const partition = Number(flags.partition);
  if (flags.partition === undefined || !Number.isInteger(partition) || partition < 0) throw new SedaError('SEDA_STATE_OPEN', '--offset and a partition --reset need --partition <n> (a whole number)');
  if (flags.reset === (flags.offset !== undefined)) throw new SedaError('SEDA_STATE_OPEN', '--partition needs exactly one of --reset or --offset <n>');
  const topic = await partitionTopic(dir, partition, flags.topic);
  if (!flags.yes) {
    const what = flags.reset ? `--reset deletes the state and offset of ${topic}/${partition} in ${dir}` : `--offset makes ${topic}/${partition} in ${dir} resume at ${flags.offset}`;
    throw new SedaError('SEDA_STATE_OPEN', `${what}; add --yes to confirm`);
  }
  if (flags.reset) process.stdout.write(`deleted ${await resetPartition(dir, topic, partition)}\n`);
  else process.stdout.write(`${topic}/${partition} resumes at offset ${flags.offset} (${await setStoredOffset(dir, topic, partition, Number(flags.offset))})\n`);
}

/**
 * The last offset of each partition of the store's changelog topic, when a
 * broker is configured and the topic exists; undefined otherwise (the local
 * columns still print).
 */
async function changelogEnds(dir: string, flags: { brokers?: string; kafka?: string[] }): Promise<{ topic: string; ends: Map<number, number> } | undefined> {
  const ownerPath = join(dir, ownerFile);
  if (!existsSync(ownerPath)) return undefined;
  const owner = JSON.parse(readFileSync(ownerPath, 'utf8')) as { stage?: string; group?: string };
  const topic = `${owner.group}-${owner.stage}-changelog`;
  let brokers: string;
  try {
    brokers = resolveBrokers({ brokers: flags.brokers });
  } catch (err) {
    if (isSedaError(err, 'SEDA_KAFKA_NO_BROKER')) return undefined;
    throw err;
  }
  const kafka = parseKafkaProperties(flags.kafka ?? []);
  if (!(await listTopics(brokers, kafka)).some((t) => t.name === topic)) return undefined;
  const ends = new Map<number, number>();
  for (const p of await describeTopic(brokers, topic, kafka)) if (p.high > 0) ends.set(p.partition, p.high - 1);
  return { topic, ends };
}
