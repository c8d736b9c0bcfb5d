import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { OutgoingMessage, OutputBatch } from '@seda/core';
import { KafkaSink } from '@seda/kafka';
import { connection, intOption, withConnection } from '../options.js';

const BATCH = 1000;

/** `seda produce <topic>`: one message per stdin line; exits 0 only when every one was acknowledged. */
export function registerProduceCommand(program: Command): void {
  withConnection(program.command('produce').description('produce one message per line of stdin; prints the count delivered').argument('<topic>'))
    .option('--key-delimiter <c>', 'split each line into key and value at the first <c>')
    .option('--partition <n>', 'produce to this partition (default: by key)')
    .action(async (topic: string, flags: { keyDelimiter?: string; partition?: string; brokers?: string; kafka?: string[] }) => {
      const { brokers, kafka } = connection(flags);
      const partition = intOption(flags.partition, '--partition', 0);
      let delivered = 0;
      let sent = 0;
      const sink = new KafkaSink({ brokers, kafka, onDelivered: (b) => (delivered += b.messages.length) });
      let failure: Error | undefined;
      sink.on('error', (err: Error) => (failure = err));
      await sink.connect();
      const delim = flags.keyDelimiter;
      let messages: OutgoingMessage[] = [];
      const flush = async (): Promise<void> => {
        if (messages.length === 0) return;
        const batch: OutputBatch = { topic, partition: 0, nextOffset: sent, inputCount: messages.length, messages, deadLetters: 0 };
        messages = [];
        if (!sink.write(batch)) await Promise.race([once(sink, 'drain'), once(sink, 'error')]);
      };
      for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
        if (failure) break;
        const at = delim === undefined ? -1 : line.indexOf(delim);
        const msg: OutgoingMessage =
          at < 0 ? { topic, key: null, value: Buffer.from(line) } : { topic, key: Buffer.from(line.slice(0, at)), value: Buffer.from(line.slice(at + delim!.length)) };
        if (partition !== undefined) msg.partition = partition;
        messages.push(msg);
        sent++;
        if (messages.length >= BATCH) await flush();
      }
      await flush();
      if (!failure) {
        // Everything written reaches librdkafka, then every delivery report arrives.
        const finished = once(sink, 'finish');
        sink.end();
        await Promise.race([finished, once(sink, 'error')]).catch((err: Error) => (failure = err));
        await sink.flush(60_000).catch((err: Error) => (failure = err));
      }
      await sink.close().catch(() => {});
      process.stdout.write(`${delivered}\n`);
      if (failure) throw failure;
      if (delivered !== sent) throw new Error(`only ${delivered} of ${sent} messages were acknowledged`);
    });
}
