import { pino } from 'pino';
import { openStateStore } from '@seda/state';
import { loadStage, runStage, type RunningStage } from '@seda/runtime';
import { openChangelog, type KafkaChangelog, type TopicPartition } from '@seda/kafka';
import { required, type SystemFactory, type WorkerSystem } from './system.js';

/**
 * seda itself: `runStage` with a stage module loaded by path, exactly as
 * `seda run <path>` runs it, with its defaults (at-least-once for a stateless
 * stage; state mode with LevelDB under `stateDir` for a stateful one, with
 * its changelog topic (which the bench creates), as `seda run` opens it:
 * the changelog write comes before the local one). Every output of the stage
 * goes to the bench's output topic.
 */
export const sedaStage: SystemFactory = (config, hooks): WorkerSystem => {
  const errors: string[] = [];
  let running: RunningStage | undefined;
  let assigned = 0;
  let commitFailures = 0;
  let changelog: KafkaChangelog | undefined;
  const log = pino({ level: 'warn' }, pino.destination({ dest: 2, sync: false }));
  return {
    errors,
    notes: () => (commitFailures > 0 ? [`${commitFailures} group commits failed (rebalance) and were left to the next commit`] : []),
    count: () => running?.counters.recordsIn ?? 0,
    async start() {
      const stage = await loadStage(required(config, 'stagePath'));
      const output = required(config, 'output');
      const outputs = Object.fromEntries(Object.keys(stage.outputs).map((name) => [name, output]));
      const group = required(config, 'group');
      // Like `seda run` (packages/cli/src/commands/run.ts, openStageState): the changelog partitioned like the input.
      if (stage.hasState) changelog = await openChangelog({ brokers: config.brokers, topic: required(config, 'changelogTopic'), partitions: required(config, 'partitions'), kafka: config.kafka, log, create: false });
      const state = stage.hasState
        ? await openStateStore({ dir: required(config, 'stateDir'), codec: stage.state?.codec, log, owner: { stage: stage.name, group }, changelog })
        : undefined;
      running = await runStage(stage, {
        brokers: config.brokers,
        group,
        input: required(config, 'input'),
        outputs,
        dlqTopic: `${output}.dlq`,
        fromBeginning: true,
        kafka: config.kafka,
        state,
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
      await changelog?.close().catch((err: Error) => errors.push(`changelog close failed: ${err.message}`));
      log.flush();
    },
  };
};
