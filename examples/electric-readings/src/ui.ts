import { once } from 'node:events';
import { serveUi, type UiServer } from '@seda/ui';

/** `seda demo --ui`: the pipeline page over the demo's embedded broker. */
export interface DemoUi {
  readonly url: string;
  /** After the checks: keeps the page (and the broker) up until SIGINT/SIGTERM, then closes the page. */
  holdUntilSignal(say: (m: string) => void): Promise<void>;
  close(): Promise<void>;
}

/** Serves the page on 127.0.0.1:`port` (0: any free port). */
export async function startDemoUi(brokers: string, port: number): Promise<DemoUi> {
  const ui: UiServer = await serveUi({ brokers, port, refreshMs: 1000 });
  return {
    url: ui.url,
    holdUntilSignal: async (say) => {
      say(`the pipeline page stays up at ${ui.url} (the stages are stopped; dead letters can still be browsed and replayed); Ctrl-C to end`);
      await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
      await ui.close();
    },
    close: () => ui.close(),
  };
}
