/**
 * The operations endpoint every service exposes: `GET /metrics` (Prometheus text format from
 * the service's own registry) and `GET /healthz` (200 when healthy, 503 otherwise, JSON body with
 * the checks). Extra routes (e.g. a push-ingest endpoint) can be mounted by path, and a fallback answers the rest
 * (the live view's pages, whose paths carry a ticker).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, collectDefaultMetrics } from 'prom-client';

export type HealthCheck = () => { ok: boolean; [detail: string]: unknown };
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface OpsServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

const urlHost = (host: string) =>
  host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: 'finsent_' });
  return registry;
}

export async function startOpsServer(opts: {
  port: number;
  host?: string;
  registry: Registry;
  health: HealthCheck;
  routes?: Record<string, RouteHandler>;
  /** Answers every path that is not /metrics, /healthz or a route; unset: 404. */
  fallback?: RouteHandler;
}): Promise<OpsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    void handle(path, req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'internal', message: err instanceof Error ? err.message : String(err) }));
    });
  });
  async function handle(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (path === '/metrics' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': opts.registry.contentType });
      res.end(await opts.registry.metrics());
      return;
    }
    if (path === '/healthz' && req.method === 'GET') {
      // The pid lets a supervisor tell its own child's answer from that of another process on the port.
      const health = { ...opts.health(), pid: process.pid };
      res.writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(health));
      return;
    }
    const route = opts.routes?.[path];
    if (route) return route(req, res);
    if (opts.fallback) return opts.fallback(req, res);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'not_found', path }));
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    // A wildcard address is not one to connect to: report loopback, where the server also answers.
    url: `http://${urlHost(opts.host ?? '127.0.0.1')}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
