/**
 * The live view's HTTP surface, read-only: the page (one HTML file whose script draws the overview or a ticker page
 * from the path), its assets (the app and uPlot, from npm, so it works offline), each view as JSON, and a
 * server-sent event stream that pushes a view whenever it changes. The one write is an analyst's correction of a
 * label (POST /api/corrections, corrections.ts); anything else but GET and HEAD is refused.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { TICKER_PATTERN, errorMessage, type Logger } from '@finsent/shared';
import type { LiveMetrics } from './metrics.js';
import type { ViewCache } from './view-cache.js';

const PUBLIC = (file: string) => fileURLToPath(new URL(`../public/${file}`, import.meta.url));
const UPLOT = (file: string) => createRequire(import.meta.url).resolve(`uplot/dist/${file}`);

/** Served by path: content type and file, read once at start (a few hundred kB in all). */
const ASSET_FILES: Record<string, [string, string]> = {
  '/assets/app.js': ['text/javascript; charset=utf-8', PUBLIC('app.js')],
  '/assets/app.css': ['text/css; charset=utf-8', PUBLIC('app.css')],
  '/assets/uPlot.iife.min.js': ['text/javascript; charset=utf-8', UPLOT('uPlot.iife.min.js')],
  '/assets/uPlot.min.css': ['text/css; charset=utf-8', UPLOT('uPlot.min.css')],
};

/** No inline script or style, nothing from another origin, no framing; links out carry no referrer. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** A keep-alive comment on an idle stream, so that proxies and browsers do not time it out. */
const HEARTBEAT_MS = 15_000;

export const viewKey = { overview: 'overview', ticker: (t: string) => `ticker:${t}` };

/** The ticker in a `/ticker/T` or `/api/ticker/T` path, or undefined when it is not a ticker the contract allows. */
export function tickerIn(path: string, prefix: string): string | undefined {
  if (!path.startsWith(prefix)) return undefined;
  let t: string;
  try {
    t = decodeURIComponent(path.slice(prefix.length)).toUpperCase();
  } catch {
    return undefined;
  }
  return TICKER_PATTERN.test(t) ? t : undefined;
}

export function liveRoutes(o: {
  cache: ViewCache;
  metrics: LiveMetrics;
  logger: Logger;
  refreshMs: number;
  maxViewers: number;
  /** POST /api/corrections (corrections.ts); unset: the page offers no corrections. */
  corrections?:
    { handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>; tokenRequired: boolean } | undefined;
}) {
  const assets = new Map(
    Object.entries(ASSET_FILES).map(([path, [type, file]]) => [path, { type, body: readFileSync(file) }]),
  );
  const page = readFileSync(PUBLIC('index.html'));
  const streams = new Set<ServerResponse>();

  const send = (
    res: ServerResponse,
    status: number,
    type: string,
    body: string | Buffer,
    extra: Record<string, string> = {},
  ) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...SECURITY_HEADERS, ...extra });
    res.end(body);
  };
  const json = (res: ServerResponse, status: number, body: unknown) =>
    send(res, status, 'application/json', JSON.stringify(body));

  const viewFor = (path: string, query: URLSearchParams): string | undefined => {
    if (path === '/api/overview' || (path === '/api/stream' && !query.has('ticker'))) return viewKey.overview;
    const t = path === '/api/stream' ? tickerIn(`/${query.get('ticker') ?? ''}`, '/') : tickerIn(path, '/api/ticker/');
    return t ? viewKey.ticker(t) : undefined;
  };

  const stream = (req: IncomingMessage, res: ServerResponse, key: string) => {
    if (streams.size >= o.maxViewers) {
      o.metrics.refused.inc();
      return json(res, 503, { error: 'busy', message: `${o.maxViewers} live connections are open (LIVE_MAX_VIEWERS)` });
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      ...SECURITY_HEADERS,
    });
    streams.add(res);
    o.metrics.viewers.set(streams.size);
    let last = '';
    let lastWrite = Date.now();
    let failing = false;
    const push = async () => {
      try {
        const view = await o.cache.get(key);
        if (view.body !== last || failing) res.write(`event: view\ndata: ${view.body}\n\n`);
        else if (Date.now() - lastWrite >= HEARTBEAT_MS) res.write(': still here\n\n');
        else return;
        last = view.body;
        failing = false;
      } catch (err) {
        // The page keeps what it shows and says that it is stale; the stream stays open and reads again next time.
        res.write(`event: failure\ndata: ${JSON.stringify({ message: errorMessage(err) })}\n\n`);
        failing = true;
      }
      lastWrite = Date.now();
    };
    // `retry`: how soon a browser reconnects after the stream drops (a restart of this service).
    res.write(`retry: ${Math.max(1_000, o.refreshMs)}\n\n`);
    void push();
    const timer = setInterval(() => void push(), o.refreshMs);
    req.on('close', () => {
      clearInterval(timer);
      streams.delete(res);
      o.metrics.viewers.set(streams.size);
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/api/corrections' && req.method === 'POST' && o.corrections) return o.corrections.handle(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(
        res,
        405,
        'text/plain',
        'the live view only reads, and takes corrections at POST /api/corrections\n',
        { allow: 'GET, HEAD' },
      );
    if (path === '/api/settings')
      return json(res, 200, {
        corrections: Boolean(o.corrections),
        token_required: o.corrections?.tokenRequired ?? false,
      });
    if (path === '/' || tickerIn(path, '/ticker/')) return send(res, 200, 'text/html; charset=utf-8', page);
    const asset = assets.get(path);
    if (asset) return send(res, 200, asset.type, asset.body, { 'cache-control': 'no-cache' });
    if (!path.startsWith('/api/')) return send(res, 404, 'text/plain', 'not found\n');
    const key = viewFor(path, url.searchParams);
    if (!key)
      return json(res, 404, {
        error: 'not_found',
        message: 'views: /api/overview, /api/ticker/<TICKER>, /api/stream[?ticker=<TICKER>]',
      });
    if (path === '/api/stream') return stream(req, res, key);
    try {
      return send(res, 200, 'application/json', (await o.cache.get(key)).body);
    } catch (err) {
      return json(res, 503, { error: 'clickhouse_unavailable', message: errorMessage(err) });
    }
  };

  return {
    handle,
    /** Ends every open stream (at stop: a browser reconnects to the next instance by itself). */
    closeStreams: () => {
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}
