import type { Command } from 'commander';
import { SedaError } from '@seda/core';

/** What `seda bench` needs from @seda/bench (loaded on use: it is not needed to run stages). */
interface BenchModule {
  runBenchCli(argv: string[]): Promise<number>;
}

/** `seda bench [scenario...]`: hands its arguments to @seda/bench's runner. */
export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('measure throughput, latency, memory and CPU against a raw node-rdkafka baseline (seda bench --help)')
    .argument('[args...]')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (args: string[]) => {
      const specifier = '@seda/bench';
      let bench: BenchModule;
      try {
        bench = (await import(specifier)) as BenchModule;
      } catch (err) {
        throw new SedaError('SEDA_BENCH_UNAVAILABLE', `seda bench needs the @seda/bench package (in the seda repository: npm install && npm run build): ${(err as Error).message}`, { cause: err });
      }
      process.exitCode = await bench.runBenchCli(args);
    });
}
