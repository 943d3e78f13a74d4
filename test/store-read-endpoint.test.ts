/**
 * Live queries on the embedded default: while the store owns the embedded ClickHouse, analysts query it through
 * the store's read-only ClickHouse-HTTP endpoint: `finsent query` from another process finds it with no new flag,
 * `@clickhouse/client` and curl-style GETs work, and nothing that writes gets through.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_URL_FILE, loadStoreConfig, startStore, type StoreService } from '@finsent/store';
import { brokers, tempDir, testLogger } from './support/env.js';

const run = promisify(execFile);
const BIN = new URL('../bin/finsent.mjs', import.meta.url).pathname;

describe('the running store answers read-only SQL', () => {
  const dir = tempDir('read-endpoint');
  const dataDir = join(dir.path, 'data');
  let store: StoreService;

  beforeAll(async () => {
    store = await startStore(loadStoreConfig({ KAFKA_BROKERS: brokers(), FINSENT_DATA_DIR: dataDir, STORE_PORT: '0', STORE_SQL_PORT: '0' }), testLogger('store'));
  }, 120_000);
  afterAll(async () => {
    await store?.stop();
    dir.remove();
  });

  const finsent = async (args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, FINSENT_DATA_DIR: dataDir }, timeout: 120_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('finsent query from another process reads through it, and refuses writes with exit 2', async () => {
    expect(existsSync(join(dataDir, READ_URL_FILE))).toBe(true);
    const ok = await finsent(['query', 'SELECT count() AS n FROM alerts', '--format', 'json']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(Number(JSON.parse(ok.stdout)[0].n)).toBe(0);
    const drop = await finsent(['query', 'DROP TABLE alerts']);
    expect(drop.code).toBe(2);
    expect(drop.stderr).toContain('read-only');
    expect(drop.stderr).not.toMatch(/\n\s+at /); // a message, not a client's stack trace
    const write = await finsent(['query', '--write', 'CREATE TABLE x (a UInt8) ENGINE = Memory']);
    expect(write.code).toBe(1);
    expect(write.stderr).toContain('stop the pipeline to write');
  });

  it('speaks enough of the ClickHouse HTTP interface for @clickhouse/client and a plain GET', async () => {
    const client = createClient({ url: store.readUrl! });
    const rows = await (await client.query({ query: 'SELECT {n:UInt32} + 1 AS x, name FROM system.tables WHERE name = {t:String}', query_params: { n: 41, t: 'alerts' }, format: 'JSONEachRow' })).json<{ x: number; name: string }>();
    expect(rows).toEqual([{ x: 42, name: 'alerts' }]);
    await expect(client.command({ query: 'TRUNCATE TABLE alerts' })).rejects.toMatchObject({ code: '164' });
    await expect(client.query({ query: "SELECT * FROM file('/etc/passwd', 'LineAsString')" })).rejects.toMatchObject({ code: '164' });
    await client.close();
    const res = await fetch(`${store.readUrl}/?query=${encodeURIComponent('SELECT 1 + 1')}`);
    expect(await res.text()).toBe('2\n');
    expect(await (await fetch(`${store.readUrl}/ping`)).text()).toBe('Ok.\n');
  });
});
