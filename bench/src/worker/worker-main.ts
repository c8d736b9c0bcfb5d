// Child process: runs ONE system under test and reports its CPU, memory and
// progress to the bench over IPC (see protocol.ts).
import { nowMicros } from '../payload.js';
import type { FromWorker, ToWorker, WorkerConfig, WorkerSample } from './protocol.js';
import { confluentPassthrough } from './systems/confluent-passthrough.js';
import { kafkajsPassthrough } from './systems/kafkajs-passthrough.js';
import { platformaticPassthrough } from './systems/platformatic-passthrough.js';
import { rawPassthrough } from './systems/raw-passthrough.js';
import { rawProduce } from './systems/raw-produce.js';
import { sedaProduce } from './systems/seda-produce.js';
import { sedaStage } from './systems/seda-stage.js';
import type { SystemFactory, WorkerSystem } from './systems/system.js';

const factories: { [kind in WorkerConfig['system']]: SystemFactory } = {
  'seda-stage': sedaStage,
  'raw-passthrough': rawPassthrough,
  'kafkajs-passthrough': kafkajsPassthrough,
  'confluent-passthrough': confluentPassthrough,
  'platformatic-passthrough': platformaticPassthrough,
  'seda-produce': sedaProduce,
  'raw-produce': rawProduce,
};

const send = (msg: FromWorker): void => {
  if (process.connected) process.send!(msg);
};

let system: WorkerSystem | undefined;
let sampler: NodeJS.Timeout | undefined;

function sample(): WorkerSample {
  const cpu = process.cpuUsage();
  return { t: nowMicros(), cpuMicros: cpu.user + cpu.system, rss: process.memoryUsage.rss(), count: system?.count() ?? 0 };
}

function fatal(err: Error): void {
  send({ type: 'error', message: err.message, code: (err as { code?: string }).code });
  // Let the message leave before exiting.
  setTimeout(() => process.exit(1), 200);
}

process.on('message', (msg: ToWorker) => {
  void (async () => {
    try {
      if (msg.type === 'start') {
        const factory = factories[msg.config.system];
        if (factory === undefined) throw new Error(`unknown system "${msg.config.system}"`);
        system = factory(msg.config, { onAssigned: (partitions) => send({ type: 'assigned', partitions }), onFatal: fatal });
        await system.start();
        sampler = setInterval(() => send({ type: 'sample', ...sample() }), msg.config.sampleMs ?? 100);
        send({ type: 'ready' });
      } else if (msg.type === 'go') {
        if (system?.go === undefined) throw new Error('this system does not produce on its own');
        send({ type: 'produced', report: await system.go() });
      } else if (msg.type === 'stop') {
        clearInterval(sampler);
        await system?.stop();
        const usage = process.cpuUsage();
        send({ type: 'done', result: { count: system?.count() ?? 0, peakRss: process.resourceUsage().maxRSS * 1024, cpuMicros: usage.user + usage.system, errors: system?.errors ?? [], notes: system?.notes?.() ?? [] } });
        setTimeout(() => process.exit(0), 100);
      }
    } catch (err) {
      fatal(err as Error);
    }
  })();
});
// The bench is gone: so is this worker.
process.on('disconnect', () => process.exit(0));
