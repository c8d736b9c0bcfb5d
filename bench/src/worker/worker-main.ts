// Child process: runs ONE system under test and reports its CPU, memory and
// progress to the bench over IPC (see protocol.ts).
import { nowMicros } from '../payload.js';
import type { FromWorker, ToWorker, WorkerConfig, WorkerSample } from './protocol.js';
import type { SystemFactory, WorkerSystem } from './systems/system.js';

// Loaded on demand: a worker holds only its own system's client, so the memory (peak RSS) and
// the start-up it reports are that system's, not KafkaJS's and the peers' too.
const factories: { [kind in WorkerConfig['system']]: () => Promise<SystemFactory> } = {
  'seda-stage': async () => (await import('./systems/seda-stage.js')).sedaStage,
  'raw-passthrough': async () => (await import('./systems/raw-passthrough.js')).rawPassthrough,
  'kafkajs-passthrough': async () => (await import('./systems/kafkajs-passthrough.js')).kafkajsPassthrough,
  'confluent-passthrough': async () => (await import('./systems/confluent-passthrough.js')).confluentPassthrough,
  'platformatic-passthrough': async () => (await import('./systems/platformatic-passthrough.js')).platformaticPassthrough,
  'seda-produce': async () => (await import('./systems/seda-produce.js')).sedaProduce,
  'raw-produce': async () => (await import('./systems/raw-produce.js')).rawProduce,
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
        const load = factories[msg.config.system];
        if (load === undefined) throw new Error(`unknown system "${msg.config.system}"`);
        const factory = await load();
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
