import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SedaError, silentLogger, type Logger } from '@seda/core';
import type { Registry } from 'prom-client';
import type { HealthReport } from './health.js';
import type { StateQuery } from './state-query.js';

/** Options of {@link serveOps}. */
export interface OpsServerOptions {
  /** Port; 0 picks any free port (see {@link OpsServer.port}). */
  port: number;
  /** Interface to listen on. Default `0.0.0.0`. */
  host?: string;
  registry: Registry;
  health: { liveness(): HealthReport; readiness(): HealthReport };
  /** Serves `/state/<key>` and `/state?prefix=&limit=` once it returns a query (a stateful stage, once running). */
  state?: () => StateQuery | undefined;
  log?: Logger;
}

/** The operations endpoint: `/metrics`, `/healthz`, `/readyz`, and `/state` for a stateful stage. */
export interface OpsServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves Prometheus metrics at `/metrics` (text format) and health at
 * `/healthz` (liveness) and `/readyz` (readiness): 200 when ok, 503 when not,
 * with a JSON body of the checks.
 */
export async function serveOps(options: OpsServerOptions): Promise<OpsServer> {
  const log = options.log ?? silentLogger;
  const host = options.host ?? '0.0.0.0';
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(req.method === 'HEAD' ? undefined : text),
        (err: unknown) => {
          log.warn({ err }, 'collecting metrics failed');
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${(err as Error).message}\n`);
        },
      );
      return;
    }
    if (path === '/state' || path.startsWith('/state/')) {
      serveState(options.state?.(), req.url ?? '/', path, res, log);
      return;
    }
    const report = path === '/healthz' ? options.health.liveness() : path === '/readyz' ? options.health.readiness() : undefined;
    if (report === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz or /readyz\n');
      return;
    }
    res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' }).end(req.method === 'HEAD' ? undefined : `${JSON.stringify(report)}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new SedaError(
          'SEDA_RUNTIME_METRICS',
          `cannot serve metrics on ${host}:${options.port} (${err.code ?? err.message})${err.code === 'EADDRINUSE' ? ': the port is in use; pick another --metrics-port (0: any free port)' : ''}`,
          { cause: err },
        ),
      ),
    );
    server.listen(options.port, host, () => resolve());
  });
  server.unref();
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
  log.info({ port, url: `${url}/metrics` }, `metrics at ${url}/metrics, health at ${url}/healthz and ${url}/readyz`);
  return {
    port,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const MAX_LIMIT = 10_000;

/** Answers a `/state` request from the stage's state query. */
function serveState(query: StateQuery | undefined, url: string, path: string, res: ServerResponse, log: Logger): void {
  const json = (status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
  };
  if (query === undefined) {
    json(404, { error: 'this stage keeps no state here (stateless, or not running yet)' });
    return;
  }
  let answer: Promise<{ status: number; body: unknown }>;
  if (path === '/state' || path === '/state/') {
    const params = new URL(url, 'http://localhost').searchParams;
    const limit = Number(params.get('limit') ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      json(400, { error: `limit must be a whole number from 1 to ${MAX_LIMIT} (got ${params.get('limit')})` });
      return;
    }
    answer = query.list(params.get('prefix') ?? '', limit);
  } else {
    let key: string;
    try {
      key = decodeURIComponent(path.slice('/state/'.length));
    } catch {
      json(400, { error: 'the key is not valid URL encoding (encode it with encodeURIComponent)' });
      return;
    }
    answer = query.get(key);
  }
  answer.then(
    (a) => json(a.status, a.body),
    (err: unknown) => {
      // e.g. the partition was revoked while it was read.
      log.warn({ err }, 'state query failed');
      json(503, { error: `state query failed: ${(err as Error).message}; try again` });
    },
  );
}
