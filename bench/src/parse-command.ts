import type { Command } from 'commander';

/**
 * Runs a commander program (built with `exitOverride()`) over `argv`.
 * Resolves with commander's exit code when it ended the run itself (--help and
 * --version: 0; usage errors, already printed: 1), else undefined.
 */
export async function parseCommand(program: Command, argv: string[]): Promise<number | undefined> {
  try {
    await program.parseAsync(argv, { from: 'user' });
    return undefined;
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('commander.')) return (err as { exitCode?: number }).exitCode ?? 1;
    throw err;
  }
}
