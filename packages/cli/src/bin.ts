#!/usr/bin/env node
import { buildProgram, reportError } from './program.js';

const program = buildProgram();
program.parseAsync(process.argv).catch((err: unknown) => {
  reportError(err, process.argv.includes('--verbose'));
  process.exitCode = typeof (err as { exitCode?: unknown }).exitCode === 'number' ? (err as { exitCode: number }).exitCode : 1;
});
