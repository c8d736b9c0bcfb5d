import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SedaError } from '@seda/core';
import type { EmbeddedBroker } from './embedded-broker.js';

/** A running control channel: loopback HTTP with small JSON endpoints. */
export interface ControlServer {
  url: string;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<{ [key: string]: unknown }> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  if (text === '') return {};
  return JSON.parse(text) as { [key: string]: unknown };
}

const num = (v: unknown, name: string): number => {
  const n = Number(v);
  if (v === undefined || !Number.isFinite(n)) throw new SedaError('SEDA_BROKER_CONTROL', `"${name}" must be a number`);
  return n;
};

/**
 * Serves a broker's controls on 127.0.0.1 so that a broker running in its
 * own process (`seda broker`) can be driven by tests and `seda chaos`. The
 * URL is announced on the broker itself (`EmbeddedBroker.announce`), so
 * commands that know only the bootstrap address find it:
 *
 *   GET  /status                      {bootstrap, brokers}
 *   POST /topics                      {name, partitions, replication?}
 *   POST /brokers/:id/down | /up      (id -1: every broker)
 *   POST /brokers/:id/rtt             {ms}
 *   POST /errors                      {api, errors: [codes]} (api: name or key)
 *   POST /leader                      {topic, partition, broker}
 */
export async function serveControl(broker: EmbeddedBroker, port = 0): Promise<ControlServer> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      try {
        const b = req.method === 'POST' ? await body(req) : {};
        let m: RegExpExecArray | null;
        if (req.method === 'GET' && path === '/status') {
          return send(res, 200, { bootstrap: broker.bootstrap, brokers: broker.brokerIds });
        } else if (req.method === 'POST' && path === '/topics') {
          await broker.createTopic(String(b.name ?? ''), num(b.partitions, 'partitions'), b.replication === undefined ? 1 : num(b.replication, 'replication'));
        } else if (req.method === 'POST' && (m = /^\/brokers\/(-?\d+)\/(down|up|rtt)$/.exec(path))) {
          const ids = Number(m[1]) === -1 ? broker.brokerIds : [Number(m[1])];
          for (const id of ids) {
            if (m[2] === 'down') broker.setBrokerDown(id);
            else if (m[2] === 'up') broker.setBrokerUp(id);
            else broker.setRtt(id, num(b.ms, 'ms'));
          }
        } else if (req.method === 'POST' && path === '/errors') {
          broker.pushRequestErrors(typeof b.api === 'number' ? b.api : (String(b.api) as never), (b.errors as unknown[]).map((e) => num(e, 'errors[]')));
        } else if (req.method === 'POST' && path === '/leader') {
          broker.setPartitionLeader(String(b.topic), num(b.partition, 'partition'), num(b.broker, 'broker'));
        } else {
          return send(res, 404, { error: `no such endpoint: ${req.method} ${path}` });
        }
        send(res, 200, { ok: true });
      } catch (err) {
        send(res, 400, { error: (err as Error).message });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${bound}`;
  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  try {
    // Any client knowing only the bootstrap address finds this channel through the broker itself.
    await broker.announce({ control: url });
  } catch (err) {
    await close();
    throw err;
  }
  return { url, close };
}

function send(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

/** A client of a broker's control channel, with the same verbs as {@link EmbeddedBroker}. */
export interface BrokerControl {
  status(): Promise<{ bootstrap: string; brokers: number[] }>;
  createTopic(name: string, partitions: number, replication?: number): Promise<void>;
  setBrokerDown(id: number): Promise<void>;
  setBrokerUp(id: number): Promise<void>;
  setRtt(id: number, ms: number): Promise<void>;
  pushRequestErrors(api: string | number, errors: number[]): Promise<void>;
  setPartitionLeader(topic: string, partition: number, broker: number): Promise<void>;
}

/** Connects to the control channel at `url` (see `findBrokerControl`). */
export function brokerControl(url: string): BrokerControl {
  const call = async (method: string, path: string, payload?: unknown): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(`${url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: payload === undefined ? undefined : JSON.stringify(payload),
      });
    } catch (err) {
      throw new SedaError('SEDA_BROKER_CONTROL', `cannot reach the embedded broker's control channel at ${url}: is \`seda broker\` running?`, { cause: err });
    }
    const out = (await res.json()) as { error?: string };
    if (!res.ok) throw new SedaError('SEDA_BROKER_CONTROL', `${method} ${path}: ${out.error ?? res.statusText}`);
    return out;
  };
  return {
    status: () => call('GET', '/status') as Promise<{ bootstrap: string; brokers: number[] }>,
    createTopic: async (name, partitions, replication = 1) => void (await call('POST', '/topics', { name, partitions, replication })),
    setBrokerDown: async (id) => void (await call('POST', `/brokers/${id}/down`)),
    setBrokerUp: async (id) => void (await call('POST', `/brokers/${id}/up`)),
    setRtt: async (id, ms) => void (await call('POST', `/brokers/${id}/rtt`, { ms })),
    pushRequestErrors: async (api, errors) => void (await call('POST', '/errors', { api, errors })),
    setPartitionLeader: async (topic, partition, broker) => void (await call('POST', '/leader', { topic, partition, broker })),
  };
}
