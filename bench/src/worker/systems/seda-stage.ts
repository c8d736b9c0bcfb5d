import { pino } from 'pino';
import { loadStage, runStage, type RunningStage } from '@seda/runtime';
import type { TopicPartition } from '@seda/kafka';
import { required, type SystemFactory, type WorkerSystem } from './system.js';

/**
 * seda itself: `runStage` with a stage module loaded by path, exactly as
 * `seda run <path>` runs it, with its defaults (at-least-once for a stateless
 * stage; state mode with LevelDB under `stateDir` and its changelog for a
 * stateful one, opened by the runtime as for `seda run`). Every output of the
 * stage goes to the bench's output topic.
 */
export const sedaStage: SystemFactory = (config, hooks): WorkerSystem => {
  const errors: string[] = [];
  let running: RunningStage | undefined;
  let assigned = 0;
  let commitFailures = 0;
  const log = pino({ level: 'warn' }, pino.destination({ dest: 2, sync: false }));
  return {
    errors,
    notes: () => (commitFailures > 0 ? [`${commitFailures} group commits failed (rebalance) and were left to the next commit`] : []),
    count: () => running?.counters.recordsIn ?? 0,
    async start() {
      const stage = await loadStage(required(config, 'stagePath'));
      const output = required(config, 'output');
      const outputs = Object.fromEntries(Object.keys(stage.outputs).map((name) => [name, output]));
      running = await runStage(stage, {
        brokers: config.brokers,
        group: required(config, 'group'),
        input: required(config, 'input'),
        outputs,
        dlqTopic: `${output}.dlq`,
        fromBeginning: true,
        kafka: config.kafka,
        stateDir: stage.hasState ? required(config, 'stateDir') : undefined,
        log,
      });
      running.on('assigned', (ps: TopicPartition[]) => hooks.onAssigned((assigned += ps.length)));
      running.on('revoked', (ps: TopicPartition[]) => hooks.onAssigned((assigned -= ps.length)));
      running.done.catch((err: Error) => {
        errors.push(`stage failed: ${err.message}`);
        hooks.onFatal(err);
      });
    },
    async stop() {
      if (running === undefined) return;
      await running.stop().catch((err: Error) => errors.push(`stop failed: ${err.message}`));
      const c = running.counters;
      if (c.deadLetters > 0) errors.push(`${c.deadLetters} records went to the dead-letter topic`);
      commitFailures = running.commitFailures;
      log.flush();
    },
  };
};
