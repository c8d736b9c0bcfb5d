import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SedaError } from '@seda/core';
import { openStateStore } from '@seda/state';

/** `seda state <stage>`: stored partitions, offsets and key counts; dump; reset. */
export function registerStateCommand(program: Command): void {
  program
    .command('state')
    .description('inspect a stateful stage\'s LevelDB store: partitions with stored offsets and key counts (partitions a running stage holds show as in use)')
    .argument('<stage>', 'stage name (the default group, so the default dir is .seda/state/<stage>)')
    .option('--group <id>', 'consumer group (default: the stage name)')
    .option('--state-dir <dir>', 'state directory (default .seda/state/<group>)')
    .option('--dump', 'print every key and value as JSON lines')
    .option('--reset', 'delete the store (needs --yes)')
    .option('--yes', 'confirm --reset')
    .option('--verbose', 'print stack traces of errors')
    .action(async (stage: string, flags: { group?: string; stateDir?: string; dump?: boolean; reset?: boolean; yes?: boolean }) => {
      const dir = resolve(flags.stateDir ?? join('.seda', 'state', flags.group ?? stage));
      if (!existsSync(dir)) throw new SedaError('SEDA_STATE_OPEN', `no state at ${dir}; pass --state-dir (or --group) of the stage you ran`);
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
        process.stdout.write(`state: ${dir}\ntopic\tpartition\toffset\tkeys\n`);
        for (const p of parts) {
          process.stdout.write(p.inUse ? `${p.topic}\t${p.partition}\t(in use by a running stage)\n` : `${p.topic}\t${p.partition}\t${p.offset ?? '-'}\t${p.keys}\n`);
        }
      } finally {
        await store.close();
      }
    });
}
