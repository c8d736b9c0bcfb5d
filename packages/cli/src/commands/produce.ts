import type { Command } from 'commander';
import type { OutgoingMessage, OutputBatch } from '@seda/core';
import { KafkaSink, requireTopics } from '@seda/kafka';
import { connection, intOption, withConnection } from '../options.js';

const BATCH = 1000;

/** Resolves once `sink` emits `event` ('drain' or 'finish'), or has failed or closed; leaves no listener behind. */
function settled(sink: KafkaSink, event: 'drain' | 'finish'): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      for (const e of [event, 'error', 'close']) sink.off(e, done);
      resolve();
    };
    for (const e of [event, 'error', 'close']) sink.on(e, done);
  });
}

/** `seda produce <topic>`: one message per stdin line; exits 0 only when every one was acknowledged. */
export function registerProduceCommand(program: Command): void {
  withConnection(program.command('produce').description('produce one message per line of stdin; prints the count delivered').argument('<topic>'))
    .option('--key-delimiter <c>', 'split each line into key and value at the first <c>')
    .option('--partition <n>', 'produce to this partition (default: by key)')
    .action(async (topic: string, flags: { keyDelimiter?: string; partition?: string; brokers?: string; kafka?: string[] }) => {
      const partition = intOption(flags.partition, '--partition', 0);
      if (flags.keyDelimiter === '') throw new Error('--key-delimiter must not be empty');
      const { brokers, kafka } = connection(flags);
      const partitions = (await requireTopics(brokers, [topic], kafka)).get(topic)!;
      if (partition !== undefined && partition >= partitions) {
        throw new Error(`--partition ${partition} does not exist: topic "${topic}" has ${partitions} partition${partitions === 1 ? '' : 's'} (0..${partitions - 1})`);
      }
      let delivered = 0;
      let sent = 0;
      const sink = new KafkaSink({ brokers, kafka, onDelivered: (b) => (delivered += b.messages.length) });
      let failure: Error | undefined;
      sink.on('error', (err: Error) => (failure ??= err));
      await sink.connect();
      const delim = flags.keyDelimiter;
      let messages: OutgoingMessage[] = [];
      const add = (line: string): void => {
        const at = delim === undefined ? -1 : line.indexOf(delim);
        const msg: OutgoingMessage =
          at < 0 ? { topic, key: null, value: Buffer.from(line) } : { topic, key: Buffer.from(line.slice(0, at)), value: Buffer.from(line.slice(at + delim!.length)) };
        if (partition !== undefined) msg.partition = partition;
        messages.push(msg);
        sent++;
      };
      const flush = async (): Promise<void> => {
        if (messages.length === 0) return;
        const batch: OutputBatch = { topic, partition: 0, nextOffset: sent, inputCount: messages.length, messages, deadLetters: 0 };
        messages = [];
        if (!sink.write(batch) && failure === undefined && !sink.destroyed) await settled(sink, 'drain');
      };
      // Lines are split per stdin chunk (not with readline's per-line iterator): one await per chunk, not per record.
      process.stdin.setEncoding('utf8');
      let rest = '';
      for await (const chunk of process.stdin as AsyncIterable<string>) {
        if (failure) break;
        const text = rest === '' ? chunk : rest + chunk;
        let start = 0;
        for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
          add(text.charCodeAt(nl - 1) === 13 && nl > start ? text.slice(start, nl - 1) : text.slice(start, nl));
          start = nl + 1;
          if (messages.length >= BATCH) await flush();
        }
        rest = text.slice(start);
      }
      if (rest !== '' && !failure) add(rest);
      await flush();
      if (!failure) {
        // Everything written reaches librdkafka, then every delivery report arrives.
        sink.end();
        if (!sink.writableFinished && !sink.destroyed) await settled(sink, 'finish');
        await sink.flush(60_000).catch((err: Error) => (failure ??= err));
      }
      await sink.close().catch(() => {});
      process.stdout.write(`${delivered}\n`);
      if (failure) throw failure;
      if (delivered !== sent) throw new Error(`only ${delivered} of ${sent} messages were acknowledged`);
    });
}
