import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SedaError, silentLogger, type Logger } from '@seda/core';
import type { Registry } from 'prom-client';
import type { HealthReport } from './health.js';

/** Options of {@link serveOps}. */
export interface OpsServerOptions {
  /** Port; 0 picks any free port (see {@link OpsServer.port}). */
  port: number;
  /** Interface to listen on. Default `0.0.0.0`. */
  host?: string;
  registry: Registry;
  health: { liveness(): HealthReport; readiness(): HealthReport };
  log?: Logger;
}

/** The operations endpoint: `/metrics`, `/healthz`, `/readyz`. */
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
