/** fetchBounded against a real local HTTP server: the limits an untrusted feed must not get past. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FinsentError } from '@finsent/shared';
import { fetchBounded, type FetchLimits } from './http-fetch.js';

// The test server is on loopback, which feeds may not reach unless allowed: these tests allow 127.0.0.1 only.
const limits: FetchLimits = {
  timeoutMs: 2_000,
  maxBytes: 64 * 1024,
  maxRedirects: 3,
  userAgent: 'finsent-test',
  allowPrivateHosts: new Set(['127.0.0.1']),
};

describe('fetchBounded', () => {
  let server: Server;
  let base = '';
  let bytesSentOnHuge = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = req.url ?? '/';
      if (url === '/feed') {
        if (req.headers['if-none-match'] === '"v1"') return void res.writeHead(304).end();
        return void res.writeHead(200, { etag: '"v1"', 'content-type': 'application/rss+xml' }).end('<rss/>');
      }
      if (url.startsWith('/loop')) return void res.writeHead(302, { location: `/loop${url.length}` }).end();
      if (url === '/hop') return void res.writeHead(301, { location: '/feed' }).end();
      if (url === '/to-metrics')
        return void res
          .writeHead(302, { location: `http://localhost:${(server.address() as AddressInfo).port}/feed` })
          .end();
      if (url === '/to-data') return void res.writeHead(302, { location: 'data:application/rss+xml,<rss/>' }).end();
      if (url === '/to-metadata')
        return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      if (url === '/declared-huge')
        return void res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) }).end();
      if (url === '/streamed-huge') {
        // No content-length: the client must stop reading once past the limit.
        res.writeHead(200, { 'content-type': 'application/rss+xml' });
        const chunk = Buffer.alloc(16 * 1024, 0x61);
        const timer = setInterval(() => {
          if (res.destroyed || bytesSentOnHuge > 50 * 1024 * 1024) return void clearInterval(timer);
          bytesSentOnHuge += chunk.length;
          res.write(chunk);
        }, 1);
        res.on('close', () => clearInterval(timer));
        return;
      }
      if (url === '/slow') return void setTimeout(() => res.writeHead(200).end('late'), 5_000);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );

  const code = async (p: Promise<unknown>) => ((await p.catch((e: unknown) => e)) as FinsentError).code;

  it('reaches no loopback, private or link-local address, and no other scheme, unless the host is allowed', async () => {
    const strict = { ...limits, allowPrivateHosts: new Set<string>() };
    expect(await code(fetchBounded(`${base}/feed`, strict))).toBe('FINSENT_ERR_FEED_FORBIDDEN_TARGET');
    expect(await code(fetchBounded(`http://[::1]:1/feed`, strict))).toBe('FINSENT_ERR_FEED_FORBIDDEN_TARGET');
    expect(await code(fetchBounded(`http://10.1.2.3/feed`, strict))).toBe('FINSENT_ERR_FEED_FORBIDDEN_TARGET');
    // Redirects from an allowed host: to a name that resolves to loopback (checked when the socket connects),
    // to a link-local metadata address, to a data: URL.
    expect(await code(fetchBounded(`${base}/to-metrics`, limits))).toBe('FINSENT_ERR_FEED_FORBIDDEN_TARGET');
    expect(await code(fetchBounded(`${base}/to-metadata`, limits))).toBe('FINSENT_ERR_FEED_FORBIDDEN_TARGET');
    expect(await code(fetchBounded(`${base}/to-data`, limits))).toBe('FINSENT_ERR_FEED_FORBIDDEN_TARGET');
    expect((await fetchBounded(`${base}/feed`, limits)).status).toBe('ok');
  });

  it('returns the body with its validators, then 304 on a conditional request', async () => {
    const first = await fetchBounded(`${base}/feed`, limits);
    expect(first.status).toBe('ok');
    if (first.status !== 'ok') return;
    expect(first.body.toString()).toBe('<rss/>');
    expect(first.validators.etag).toBe('"v1"');
    expect((await fetchBounded(`${base}/feed`, limits, first.validators)).status).toBe('not_modified');
  });

  it('follows a redirect but stops an endless chain at the limit', async () => {
    expect((await fetchBounded(`${base}/hop`, limits)).status).toBe('ok');
    expect(await code(fetchBounded(`${base}/loop`, limits))).toBe('FINSENT_ERR_FEED_REDIRECTS');
  });

  it('refuses a body over the size limit, declared or streamed, without reading it all', async () => {
    expect(await code(fetchBounded(`${base}/declared-huge`, limits))).toBe('FINSENT_ERR_FEED_TOO_LARGE');
    expect(await code(fetchBounded(`${base}/streamed-huge`, limits))).toBe('FINSENT_ERR_FEED_TOO_LARGE');
    expect(bytesSentOnHuge).toBeLessThan(50 * 1024 * 1024);
  });

  it('gives up on a server that does not answer in time', async () => {
    expect(await code(fetchBounded(`${base}/slow`, { ...limits, timeoutMs: 200 }))).toBe('FINSENT_ERR_FEED_TIMEOUT');
  });
});
