// Child process of `seda bench soak`: runs the soak's stage with runStage, as
// `seda run` does, and answers the soak's samples over IPC with its own RSS,
// event-loop delay (since the previous sample) and records taken in.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pino } from 'pino';
import { loadStage, runStage, type RunningStage } from '@seda/runtime';

interface Start {
  type: 'start';
  stagePath: string;
  brokers: string;
  group: string;
  input: string;
  output: string;
}

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
let running: RunningStage | undefined;
const reply = (msg: object): void => void process.send?.(msg);
const log = pino({ level: 'warn' }, pino.destination({ dest: 2, sync: false }));

process.on('message', (msg: Start | { type: 'sample' | 'stop'; id?: number }) => {
  void (async () => {
    try {
      if (msg.type === 'start') {
        const m = msg as Start;
        const stage = await loadStage(m.stagePath);
        running = await runStage(stage, { brokers: m.brokers, group: m.group, input: m.input, outputs: { out: m.output }, dlqTopic: `${m.output}.dlq`, fromBeginning: true, log });
        running.done.catch((err: Error) => reply({ type: 'error', message: `stage failed: ${err.message}` }));
        reply({ type: 'started' });
      } else if (msg.type === 'sample') {
        const ms = (ns: number): number => (Number.isFinite(ns) ? ns / 1e6 : 0);
        reply({ type: 'sample', id: msg.id, rss: process.memoryUsage.rss(), loopP99Ms: ms(loop.percentile(99)), loopMaxMs: ms(loop.max), recordsIn: running?.counters.recordsIn ?? 0 });
        loop.reset();
      } else if (msg.type === 'stop') {
        await running?.stop();
        log.flush();
        reply({ type: 'stopped', deadLetters: running?.counters.deadLetters ?? 0 });
        process.exit(0);
      }
    } catch (err) {
      reply({ type: 'error', id: (msg as { id?: number }).id, message: (err as Error).message });
    }
  })();
});
// The soak is gone: so is this stage.
process.on('disconnect', () => process.exit(0));
