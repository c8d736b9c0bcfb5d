import type { Command } from 'commander';
import { isSource, SedaError } from '@seda/core';
import { loadPlugin } from '@seda/runtime';
import { serveUi, type DeclaredStage } from '@seda/ui';
import { createLogger } from '../logger.js';
import { connection, intOption, withConnection } from '../options.js';

/** `seda ui`: the pipeline page and its JSON API, until SIGTERM/SIGINT. */
export function registerUiCommand(program: Command): void {
  withConnection(
    program
      .command('ui')
      .description('serve the pipeline page: announced stages and the topics between them, lag in records and seconds, dead letters browsed and replayed'),
  )
    .option('--port <port>', 'port (0: any free one)', '8080')
    .option('--host <address>', 'address to listen on; anything but loopback needs SEDA_UI_TOKEN', '127.0.0.1')
    .option('--group <id>', 'also show this consumer group (not a seda stage) and its lag (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--stage <stage>', 'also draw this stage from its definition (name, path or package, as for seda run), for stages run with --no-announce (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--refresh <ms>', 'how often the page is updated', '1000')
    .action(async (flags: { brokers?: string; kafka?: string[]; port: string; host: string; group?: string[]; stage?: string[]; refresh: string }) => {
      const { brokers, kafka } = connection(flags);
      const log = createLogger(process.env.SEDA_LOG_LEVEL ?? 'info');
      const declared: DeclaredStage[] = [];
      for (const spec of flags.stage ?? []) {
        const s = await loadPlugin(spec);
        if (isSource(s)) throw new SedaError('SEDA_UI_STAGE', `--stage ${spec} is a source, not a stage (sources read no topic)`);
        if (!s.input.topic) throw new SedaError('SEDA_UI_STAGE', `--stage ${spec} declares no input topic`);
        const outputs = Object.fromEntries(Object.entries(s.outputs).map(([name, o]) => [name, o.topic]));
        declared.push({ name: s.name, group: s.name, input: s.input.topic, outputs, dlq: s.dlqTopic, mode: s.mode });
      }
      const ui = await serveUi({
        brokers,
        kafka,
        port: intOption(flags.port, '--port', 0),
        host: flags.host,
        token: process.env.SEDA_UI_TOKEN,
        externalGroups: flags.group,
        declared,
        refreshMs: intOption(flags.refresh, '--refresh', 100),
        log,
      });
      log.info({ url: ui.url, port: ui.port }, `pipeline page at ${ui.url}`);
      process.stdout.write(`pipeline page at ${ui.url}${process.env.SEDA_UI_TOKEN ? ' (append ?token=<SEDA_UI_TOKEN>)' : ''}\n`);
      const stop = (): void => void ui.close().then(() => process.exit(0), () => process.exit(1));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
