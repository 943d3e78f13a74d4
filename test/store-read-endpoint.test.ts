/**
 * Live queries on the embedded default: while the store owns the embedded ClickHouse, analysts query it through
 * the store's read-only ClickHouse-HTTP endpoint: `finsent query` from another process finds it with no new flag,
 * `@clickhouse/client` and curl-style GETs work, and nothing that writes gets through.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStoreConfig, startStore, type StoreService } from '@finsent/store';
import { READ_URL_FILE, TOPIC_NAMES, createKafkajsBus, type Alert, type Bus } from '@finsent/shared';
import { scoredItem } from './support/scored-item.js';
import { isolatedBus } from './support/isolated-bus.js';
import { brokers, tempDir, testLogger, waitFor } from './support/env.js';

const run = promisify(execFile);
const BIN = new URL('../bin/finsent.mjs', import.meta.url).pathname;

describe('the running store answers read-only SQL', () => {
  const dir = tempDir('read-endpoint');
  const dataDir = join(dir.path, 'data');
  let store: StoreService;
  let bus: Bus;

  beforeAll(async () => {
    // Topics of its own: another test file's store consumes the pipeline topics in the same consumer group.
    bus = isolatedBus(
      createKafkajsBus({ brokers: [brokers()], clientId: 'read-endpoint-test', logger: testLogger('kafka') }),
      `read-endpoint-${Date.now()}`,
    );
    store = await startStore(
      loadStoreConfig({ KAFKA_BROKERS: brokers(), FINSENT_DATA_DIR: dataDir, STORE_PORT: '0', STORE_SQL_PORT: '0' }),
      testLogger('store'),
      { bus },
    );
  }, 120_000);
  afterAll(async () => {
    await store?.stop();
    dir.remove();
  });

  const finsent = async (args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
        env: { ...process.env, FINSENT_DATA_DIR: dataDir },
        timeout: 120_000,
      });
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

  it('speaks enough of the ClickHouse HTTP interface for @clickhouse/client and a plain GET, with its token', async () => {
    const file = join(dataDir, READ_URL_FILE);
    expect(statSync(file).mode & 0o077).toBe(0); // the token is the owner's alone
    const advertised = new URL(readFileSync(file, 'utf8').trim());
    const auth = { username: advertised.username, password: advertised.password };
    const client = createClient({ url: store.readUrl!, ...auth, log: { level: ClickHouseLogLevel.OFF } });
    const rows = await (
      await client.query({
        query: 'SELECT {n:UInt32} + 1 AS x, name FROM system.tables WHERE name = {t:String}',
        query_params: { n: 41, t: 'alerts' },
        format: 'JSONEachRow',
      })
    ).json<{ x: number; name: string }>();
    expect(rows).toEqual([{ x: 42, name: 'alerts' }]);
    await expect(client.command({ query: 'TRUNCATE TABLE alerts' })).rejects.toMatchObject({ code: '164' });
    // What readonly = 1 alone lets through: the scalar file(), INTO OUTFILE, and either behind a second statement.
    for (const query of [
      "SELECT * FROM file('/etc/passwd', 'LineAsString')",
      "SELECT file('/etc/hostname')",
      "SELECT FiLe /* hidden */ ('/etc/hostname')",
      `SELECT 'x' INTO OUTFILE '${join(dataDir, 'written.txt')}' FORMAT RawBLOB`,
      "SELECT 1; SELECT file('/etc/hostname')",
    ])
      await expect(client.query({ query }), query).rejects.toMatchObject({ code: '164' });
    expect(existsSync(join(dataDir, 'written.txt'))).toBe(false);
    await client.close();
    const basic = `Basic ${Buffer.from(`default:${auth.password}`).toString('base64')}`;
    const res = await fetch(`${store.readUrl}/?query=${encodeURIComponent('SELECT 1 + 1')}`, {
      headers: { authorization: basic },
    });
    expect(await res.text()).toBe('2\n');
    // Without the token (a web page the analyst opens, another local user): refused.
    expect((await fetch(`${store.readUrl}/?query=${encodeURIComponent('SELECT 1')}`)).status).toBe(401);
    expect(await (await fetch(`${store.readUrl}/ping`)).text()).toBe('Ok.\n');
  });

  it('finsent alerts and finsent ticker answer from the running store', async () => {
    const now = new Date();
    const title = 'JPMorgan beats profit estimates as Goldman Sachs shares plunge';
    const item = {
      ...scoredItem({
        id: 'c'.repeat(32),
        at: new Date(now.getTime() - 60_000).toISOString(),
        negative: true,
        title,
        topic: 'Financials',
        tickers: ['GS', 'JPM'],
      }),
      text: title,
      entities: [
        {
          name: 'JPMorgan',
          ticker: 'JPM',
          start: 0,
          end: 8,
          sentiment: 'positive' as const,
          sentiment_scores: { negative: 0.05, neutral: 0.05, positive: 0.9 },
        },
        {
          name: 'Goldman Sachs',
          ticker: 'GS',
          start: 37,
          end: 50,
          sentiment: 'negative' as const,
          sentiment_scores: { negative: 0.9, neutral: 0.05, positive: 0.05 },
        },
      ],
    };
    const alert: Alert = {
      schema_version: 1,
      id: 'd'.repeat(32),
      kind: 'negative_spike',
      scope: 'ticker',
      key: 'GS',
      severity: 'warning',
      window_start: new Date(now.getTime() - 5 * 60_000).toISOString(),
      window_end: now.toISOString(),
      negative_count: 5,
      total_count: 6,
      negative_share: 0.83,
      baseline_share: 0.2,
      z_score: 4.2,
      headlines: [{ id: item.id, title, url: item.url }],
      fired_at: now.toISOString(),
      delivery_state: 'delivered',
      delivery_attempts: 1,
      delivery_error: null,
    };
    const producer = await bus.producer();
    await producer.send(TOPIC_NAMES.scored, [{ key: item.id, value: JSON.stringify(item) }]);
    await producer.send(TOPIC_NAMES.alerts, [{ key: alert.id, value: JSON.stringify(alert) }]);
    await producer.close();
    await waitFor('the item and the alert stored', async () => {
      const r = await finsent([
        'query',
        'SELECT (SELECT count() FROM v_item_entities) + (SELECT count() FROM v_alerts) AS n',
        '--format',
        'json',
      ]);
      return r.code === 0 && Number(JSON.parse(r.stdout)[0].n) === 3;
    });
    const alerts = await finsent(['alerts', '--since', '1h', '--format', 'json']);
    expect(alerts.code).toBe(0);
    expect(JSON.parse(alerts.stdout)).toEqual([
      expect.objectContaining({ scope: 'ticker', key: 'GS', headlines: title }),
    ]);
    const gs = await finsent(['ticker', 'gs', '--since', '1d', '--format', 'json']);
    expect(gs.code).toBe(0);
    const out = JSON.parse(gs.stdout) as {
      hours: Array<{ negative: string | number }>;
      headlines: Array<{ sentiment: string; title: string }>;
    };
    expect(out.headlines).toEqual([expect.objectContaining({ sentiment: 'negative', title })]);
    expect(Number(out.hours[0]!.negative)).toBe(1);
    // JPMorgan's own label, not the whole item's.
    const jpm = JSON.parse((await finsent(['ticker', 'JPM', '--format', 'json'])).stdout) as {
      headlines: Array<{ sentiment: string }>;
    };
    expect(jpm.headlines.map((h) => h.sentiment)).toEqual(['positive']);
    expect((await finsent(['ticker', 'JPM', '--since', 'soon'])).code).toBe(2);
  });
});
