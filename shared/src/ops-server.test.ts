import { afterEach, describe, expect, it } from 'vitest';
import { createRegistry, startOpsServer, type OpsServer } from './ops-server.js';

describe('ops server', () => {
  let server: OpsServer | undefined;
  afterEach(async () => server?.close());

  it('listens on every interface with OPS_HOST 0.0.0.0 and reports a URL one can connect to', async () => {
    server = await startOpsServer({
      port: 0,
      host: '0.0.0.0',
      registry: createRegistry('t'),
      health: () => ({ ok: true }),
    });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, pid: process.pid });
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
  });

  it('stays on loopback by default', async () => {
    server = await startOpsServer({ port: 0, registry: createRegistry('t'), health: () => ({ ok: false, why: 'x' }) });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
  });
});
