import { readFileSync } from 'node:fs';

/** The version of this @seda/cli (its package.json), which is also the @seda/* version it was released with. */
export const cliVersion: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
