import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { timingSafeEqual } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { SedaError, silentLogger, type Logger } from '@seda/core';
import type { KafkaProperties } from '@seda/kafka';
import { listDeadLetters, replayDeadLetters, TopicReader } from '@seda/runtime';
import { GroupOffsets } from './group-offsets.js';
import { Pipeline, type DeclaredStage, type PipelineSnapshot } from './pipeline.js';

/** Options of {@link serveUi}. */
export interface UiOptions {
  brokers: string;
  kafka?: KafkaProperties;
  /** Default 8080 (0: any free port). */
  port?: number;
  /** Default 127.0.0.1; any other address requires `token`. */
  host?: string;
  /** Required on every API call (`Authorization: Bearer <token>`, or `?token=` for the event stream). */
  token?: string;
  /** Consumer groups to show that are not seda stages. */
  externalGroups?: string[];
  /** Stages known from their definitions (shown even when not announced). */
  declared?: DeclaredStage[];
  /** How often the page's data is refreshed and pushed. Default 1000 ms. */
  refreshMs?: number;
  log?: Logger;
}

/** A running page. */
export interface UiServer {
  readonly url: string;
  readonly port: number;
  /** The newest snapshot (computed now if none yet). */
  snapshot(): Promise<PipelineSnapshot>;
  close(): Promise<void>;
}

const loopback = new Set(['127.0.0.1', '::1', 'localhost']);
const require = createRequire(import.meta.url);
const publicDir = fileURLToPath(new URL('../../public/', import.meta.url));
/** The libraries' published browser builds, served from node_modules (no build step). */
const vendor: { [path: string]: { file: string; type: string } } = {
  '/vendor/uPlot.iife.min.js': { file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript' },
  '/vendor/uPlot.min.css': { file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css' },
};
const statics: { [path: string]: { file: string; type: string } } = {
  '/': { file: `${publicDir}index.html`, type: 'text/html; charset=utf-8' },
  '/app.js': { file: `${publicDir}app.js`, type: 'text/javascript' },
  '/style.css': { file: `${publicDir}style.css`, type: 'text/css' },
  ...vendor,
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** 4xx for bad input the runtime reports; 5xx for the rest. */
function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  const code = (err as SedaError).code;
  if (code === 'SEDA_RUNTIME_DLQ_TOPIC') return 404;
  if (code === 'SEDA_RUNTIME_DLQ_OFFSETS' || code === 'SEDA_RUNTIME_DLQ_NOT_SEDA') return 400;
  return 500;
}

async function body(req: IncomingMessage): Promise<unknown> {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) throw new HttpError(415, 'send JSON (content-type: application/json)');
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 1_000_000) throw new HttpError(413, 'request body over 1 MB');
    chunks.push(c as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body is not valid JSON');
  }
}

/** Checks a replay request: `{all: true}` or `{offsets: [{partition, offset}]}`, optional `to` and `force`. */
function replayRequest(b: unknown): { select: 'all' | Array<{ partition: number; offset: number }>; to?: string; force: boolean } {
  if (typeof b !== 'object' || b === null) throw new HttpError(400, 'expected an object {offsets: [{partition, offset}], to?, force?} or {all: true}');
  const o = b as { all?: unknown; offsets?: unknown; to?: unknown; force?: unknown };
  if (o.to !== undefined && (typeof o.to !== 'string' || o.to === '')) throw new HttpError(400, '"to" must be a topic name');
  if (o.force !== undefined && typeof o.force !== 'boolean') throw new HttpError(400, '"force" must be true or false');
  if (o.all === true) return { select: 'all', to: o.to as string | undefined, force: o.force === true };
  if (!Array.isArray(o.offsets) || o.offsets.length === 0) throw new HttpError(400, 'give "offsets": [{partition, offset}, ...] (at least one) or "all": true');
  const offsets = o.offsets.map((x: unknown) => {
    const p = x as { partition?: unknown; offset?: unknown };
    if (!Number.isInteger(p?.partition) || !Number.isInteger(p?.offset) || (p.partition as number) < 0 || (p.offset as number) < 0) {
      throw new HttpError(400, `each offset is {partition, offset} with whole numbers >= 0 (got ${JSON.stringify(x)})`);
    }
    return { partition: p.partition as number, offset: p.offset as number };
  });
  return { select: offsets, to: o.to as string | undefined, force: o.force === true };
}

/**
 * Serves the pipeline page and its JSON API (node:http; the routes are
 * few): `GET /api/graph`, `GET /api/events` (server-sent snapshots),
 * `GET /api/dlq/<topic>?code=`, `POST /api/dlq/<topic>/replay`. Listens on
 * 127.0.0.1 unless told otherwise; another address needs a token, checked on
 * every API call. POSTs must be JSON from the page's own origin.
 */
export async function serveUi(options: UiOptions): Promise<UiServer> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? silentLogger;
  const token = options.token !== undefined && options.token !== '' ? options.token : undefined;
  if (!loopback.has(host) && token === undefined) {
    throw new SedaError('SEDA_UI_TOKEN', `listening on ${host} (not loopback) needs a token: set SEDA_UI_TOKEN to a long random string, and open the page with ?token=<it>`);
  }
  const reader = new TopicReader(options.brokers, options.kafka);
  const offsets = new GroupOffsets(options.brokers, options.kafka);
  const pipeline = new Pipeline(reader, offsets, { externalGroups: options.externalGroups, declared: options.declared });
  let latest: PipelineSnapshot | undefined;
  let refreshing: Promise<PipelineSnapshot> | undefined;
  const refresh = (): Promise<PipelineSnapshot> =>
    (refreshing ??= pipeline
      .snapshot()
      .then((s) => (latest = s))
      .finally(() => (refreshing = undefined)));
  const clients = new Set<ServerResponse>();
  let closed = false;
  const loop = async (): Promise<void> => {
    while (!closed) {
      const started = Date.now();
      try {
        const s = await refresh();
        const data = `data: ${JSON.stringify(s)}\n\n`;
        for (const c of clients) c.write(data);
      } catch (err) {
        log.warn({ err }, 'refreshing the pipeline failed; retried');
      }
      await new Promise((r) => setTimeout(r, Math.max(100, (options.refreshMs ?? 1000) - (Date.now() - started))).unref());
    }
  };

  const authorized = (req: IncomingMessage, url: URL): boolean => {
    if (token === undefined) return true;
    const given = String(req.headers.authorization ?? '').replace(/^Bearer /, '') || url.searchParams.get('token') || '';
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, value: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(value));
    };
    try {
      const asset = req.method === 'GET' ? statics[url.pathname] : undefined;
      if (asset !== undefined) {
        res.writeHead(200, { 'content-type': asset.type, 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'" });
        res.end(await readFile(asset.file));
        return;
      }
      if (!url.pathname.startsWith('/api/')) throw new HttpError(404, `no page ${url.pathname}`);
      // Without a token (loopback), a page of another site reaching us by DNS rebinding names another host: refused.
      if (token === undefined && !loopback.has(String(req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1'))) throw new HttpError(403, `host ${req.headers.host} is refused; open the page at 127.0.0.1`);
      if (!authorized(req, url)) throw new HttpError(401, 'missing or wrong token: send Authorization: Bearer <SEDA_UI_TOKEN>');
      if (req.method === 'GET' && url.pathname === '/api/graph') return send(200, latest ?? (await refresh()));
      if (req.method === 'GET' && url.pathname === '/api/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
        clients.add(res);
        req.on('close', () => clients.delete(res));
        if (latest !== undefined) res.write(`data: ${JSON.stringify(latest)}\n\n`);
        return;
      }
      const dlq = /^\/api\/dlq\/([^/]+)(\/replay)?$/.exec(url.pathname);
      if (dlq !== null) {
        const topic = decodeURIComponent(dlq[1]);
        if (dlq[2] === undefined && req.method === 'GET') {
          const code = url.searchParams.get('code') || undefined;
          return send(200, await listDeadLetters(reader, topic, { code }));
        }
        if (dlq[2] !== undefined && req.method === 'POST') {
          // A cross-site form or script cannot send JSON here without a preflight this server never answers; a foreign Origin is refused too.
          const origin = req.headers.origin;
          if (origin !== undefined && origin !== `http://${req.headers.host}`) throw new HttpError(403, `requests from ${origin} are refused`);
          const r = replayRequest(await body(req));
          const result = await replayDeadLetters(reader, { brokers: options.brokers, kafka: options.kafka, topic, select: r.select, to: r.to, force: r.force, log });
          return send(200, result);
        }
        throw new HttpError(405, `${req.method} is not allowed here (replay is a POST)`);
      }
      throw new HttpError(404, `no API ${url.pathname}`);
    } catch (err) {
      const status = statusOf(err);
      if (status >= 500) log.warn({ err }, 'API request failed');
      if (!res.headersSent) send(status, { error: (err as Error).message, code: (err as SedaError).code });
      else res.end();
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new SedaError('SEDA_UI_LISTEN', `cannot listen on ${host}:${options.port ?? 8080} (${err.code ?? err.message}); pick another --port`, { cause: err })));
    server.listen(options.port ?? 8080, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  void loop();
  return {
    url,
    port,
    snapshot: () => (latest ? Promise.resolve(latest) : refresh()),
    close: async () => {
      closed = true;
      for (const c of clients) c.end();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await refreshing?.catch(() => {});
      await offsets.close();
      await reader.close();
    },
  };
}
