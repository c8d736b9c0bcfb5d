// Child process: one embedded broker (librdkafka's mock cluster) for one
// measurement, spoken to over IPC. Its own process, so its CPU and memory are
// measured apart from the load generator and the systems under test.
import { serveControl, startBroker, type ControlServer, type EmbeddedBroker } from '@seda/kafka';

let broker: EmbeddedBroker | undefined;
let control: ControlServer | undefined;

const reply = (msg: object): void => {
  process.send?.(msg);
};

process.on('message', (msg: { type: string; id?: number; name?: string; partitions?: number; brokers?: number }) => {
  void (async () => {
    try {
      if (msg.type === 'start') {
        broker = await startBroker({ brokers: msg.brokers ?? 3, initialRebalanceDelayMs: 0 });
        // As `seda broker` does: stateful systems run with their changelog, whose topic they create through it.
        control = await serveControl(broker);
        reply({ type: 'started', bootstrap: broker.bootstrap });
      } else if (msg.type === 'create-topic') {
        await broker!.createTopic(msg.name!, msg.partitions!);
        reply({ type: 'topic-created', id: msg.id, name: msg.name });
      } else if (msg.type === 'usage') {
        const cpu = process.cpuUsage();
        reply({ type: 'usage', id: msg.id, cpuMicros: cpu.user + cpu.system, rss: process.memoryUsage.rss(), peakRss: process.resourceUsage().maxRSS * 1024 });
      } else if (msg.type === 'stop') {
        await control?.close();
        await broker?.stop(3000);
        process.exit(0);
      }
    } catch (err) {
      reply({ type: 'error', id: msg.id, message: (err as Error).message, code: (err as { code?: string }).code });
    }
  })();
});
// The bench is gone: so is this broker.
process.on('disconnect', () => process.exit(0));
