/**
 * The committed Grafana files are what dashboards.ts generates, and every ClickHouse query in them
 * (panels, annotations, variables) runs on a migrated embedded ClickHouse with data, returning the
 * columns its panel needs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, type ClickHouseClient } from '@finsent/shared';
import { migrate } from '@finsent/store';
import { CLICKHOUSE_DS, GRAFANA_DIR, renderGrafanaFiles } from './dashboards.js';
import { expandMacros, type MacroContext } from './macros.js';
import { tempDir } from '../../test/support/env.js';

const files = renderGrafanaFiles();

interface Target {
  datasource?: { type?: string };
  rawSql?: string;
  expr?: string;
}
interface Panel {
  type: string;
  title: string;
  targets?: Target[];
  options?: Record<string, unknown>;
}
interface Dashboard {
  panels: Panel[];
  annotations?: { list?: { name: string; target?: Target }[] };
  templating?: { list?: { name: string; datasource?: { type?: string }; query: string }[] };
}
const dashboards = Object.entries(files)
  .filter(([rel]) => rel.endsWith('.json'))
  .map(([rel, text]) => [rel, JSON.parse(text) as Dashboard] as const);

/** Every ClickHouse query Grafana will run, named by where it sits. */
function clickhouseQueries(): { name: string; sql: string }[] {
  const out: { name: string; sql: string }[] = [];
  const isCh = (t?: { datasource?: { type?: string } }) => t?.datasource?.type === CLICKHOUSE_DS.type;
  for (const [, d] of dashboards) {
    for (const p of d.panels)
      for (const t of p.targets ?? []) if (isCh(t)) out.push({ name: `panel ${p.title}`, sql: t.rawSql! });
    for (const a of d.annotations?.list ?? [])
      if (isCh(a.target)) out.push({ name: `annotation ${a.name}`, sql: a.target!.rawSql! });
    for (const v of d.templating?.list ?? []) if (isCh(v)) out.push({ name: `variable ${v.name}`, sql: v.query });
  }
  return out;
}

/** What each query must return: the columns its visualisation reads, in order. */
const EXPECTED: Record<string, string[]> = {
  'variable ticker': ['ticker'],
  'annotation Sentiment alerts': ['time', 'timeEnd', 'text', 'tags'],
  'panel Negative share by topic': ['time', 'topic', 'negative_share'],
  'panel Volume by topic': ['time', 'topic', 'items'],
  'panel Negative-share z-score by topic (vs trailing 60 min)': ['time', 'topic', 'z_score'],
  'panel Market negative share': ['time', 'negative_share', 'items'],
  'panel Top negative headlines': ['time', 'topic', 'tickers', 'title', 'p_negative', 'source', 'url'],
  'panel Alerts': [
    'time',
    'severity',
    'scope',
    'key',
    'negative_share',
    'baseline_share',
    'z_score',
    'items',
    'delivery_state',
  ],
  'panel $ticker: negative share and volume': ['time', 'negative_share', 'items'],
  'panel $ticker: headlines': ['time', 'ticker_sentiment', 'text_sentiment', 'p_negative', 'topic', 'title', 'url'],
};

// Two hours of news, 5 items a minute; each minute one topic, a third of the items negative.
const SEED_ITEMS = `INSERT INTO items (id, source, source_kind, url, title, text, truncated, lang, published_at, fetched_at, tickers,
    duplicate_of, novelty, sentiment, p_negative, p_neutral, p_positive, topic, topic_score, topic_scores, model_version, scored_at)
  SELECT toString(number), 'test', 'replay', concat('https://news.example/', toString(number)), concat('headline ', toString(number)), 'text',
    false, 'en', toDateTime64('2026-03-02 12:00:00', 3, 'UTC') + toIntervalSecond(number * 12) AS t, t,
    [['JPM'], ['XOM', 'CVX'], [], ['JPM', 'GS']][number % 4 + 1], NULL, 1,
    ['negative', 'neutral', 'positive'][(number * 7 + intDiv(number, 15)) % 3 + 1] AS s, if(s = 'negative', 0.6 + (number % 40) / 100, 0.05), 0.1, 0.1,
    ['Financials', 'Energy | Oil', 'Macro'][intDiv(number, 5) % 3 + 1] AS topic, 0.8, map(topic, 0.8), 'finsent-test', t
  FROM numbers(600)`;
const SEED_ALERT = `INSERT INTO alerts (id, scope, key, severity, window_start, window_end, negative_count, total_count, negative_share,
    baseline_share, z_score, headlines, fired_at, delivery_state, delivery_attempts, delivery_error)
  VALUES ('a1', 'topic', 'Financials', 'critical', '2026-03-02 13:00:00', '2026-03-02 13:05:00', 20, 25, 0.8, 0.3, 4.2, '[]', '2026-03-02 13:05:01', 'delivered', 1, NULL)`;

describe('Grafana dashboards', () => {
  it('committed files are up to date (run `finsent dashboards` after changing dashboards.ts)', () => {
    for (const [rel, text] of Object.entries(files))
      expect(readFileSync(join(GRAFANA_DIR, rel), 'utf8'), rel).toBe(text);
  });

  it('every ClickHouse query has expected columns declared, and there are no others', () => {
    expect(
      clickhouseQueries()
        .map((q) => q.name)
        .sort(),
    ).toEqual(Object.keys(EXPECTED).sort());
  });

  it('every time series names its series: a table legend with last and max, and a tooltip with all series', () => {
    for (const [, d] of dashboards) {
      for (const p of d.panels.filter((x) => x.type === 'timeseries')) {
        const o = p.options as {
          legend?: { showLegend?: boolean; displayMode?: string; calcs?: string[] };
          tooltip?: { mode?: string };
        };
        expect(o.legend, p.title).toMatchObject({
          showLegend: true,
          displayMode: 'table',
          calcs: ['lastNotNull', 'max'],
        });
        expect(o.tooltip?.mode, p.title).toBe('multi');
      }
    }
  });

  it('every Prometheus panel has a query, and datasources are the provisioned ones', () => {
    const provisioned = files['provisioning/datasources/datasources.yaml']!;
    for (const [, d] of dashboards) {
      for (const p of d.panels.filter((x) => x.type !== 'row')) {
        expect(p.targets?.length, p.title).toBeGreaterThan(0);
        for (const t of p.targets!) expect(t.rawSql ?? t.expr, p.title).toBeTruthy();
      }
    }
    expect(provisioned).toContain(`uid: ${CLICKHOUSE_DS.uid}`);
    expect(provisioned).toContain('uid: finsent-prometheus');
  });

  describe('ClickHouse queries on data', () => {
    const dir = tempDir('grafana');
    let client: ClickHouseClient;
    const ctx: MacroContext = {
      from: new Date('2026-03-02T12:30:00Z'),
      to: new Date('2026-03-02T14:00:00Z'),
      intervalSeconds: 300,
      vars: {},
    };

    beforeAll(async () => {
      client = (await createClickHouse({ dataPath: dir.path })).client;
      await migrate(client, { textTtlDays: 3650 });
      await client.command({ query: SEED_ITEMS });
      await client.command({ query: SEED_ALERT });
      const tickers = await run(clickhouseQueries().find((q) => q.name === 'variable ticker')!.sql);
      ctx.vars.ticker = String(tickers.data[0]!.ticker);
    });
    afterAll(async () => {
      await client.close();
      dir.remove();
    });

    const run = async (sql: string) => {
      const rs = await client.query({ query: expandMacros(sql, ctx), format: 'JSON' });
      return rs.json<Record<string, unknown>>();
    };

    it.each(Object.keys(EXPECTED))('%s returns its columns and rows', async (name) => {
      const query = clickhouseQueries().find((q) => q.name === name)!;
      const result = await run(query.sql);
      const meta = result.meta ?? [];
      expect(meta.map((m) => m.name)).toEqual(EXPECTED[name]);
      expect(result.data.length).toBeGreaterThan(0);
      const time = meta.find((m) => m.name === 'time');
      if (time) {
        expect(time.type).toMatch(/^DateTime/);
        // The time filter held: nothing outside the dashboard range.
        for (const row of result.data) {
          const t = Date.parse(`${String(row.time).replace(' ', 'T')}Z`);
          expect(t).toBeGreaterThanOrEqual(ctx.from.getTime() - ctx.intervalSeconds * 1000);
          expect(t).toBeLessThanOrEqual(ctx.to.getTime());
        }
      }
    });

    it('the ticker drill-down only shows the chosen ticker', async () => {
      const sql = clickhouseQueries().find((q) => q.name === 'panel $ticker: headlines')!.sql;
      const all = await run(sql.replace('LIMIT 100', ''));
      const ids = all.data.map((r) => Number(String(r.url).split('/').pop()));
      // The variable lists tickers alphabetically: CVX first, seeded on ids with id % 4 = 1 (with XOM).
      expect(ctx.vars.ticker).toBe('CVX');
      expect(ids.length).toBeGreaterThan(0);
      expect(new Set(ids.map((i) => i % 4))).toEqual(new Set([1]));
    });

    it("the ticker drill-down shows the ticker's own sentiment where the item scored it as an entity", async () => {
      await client.command({
        query: `INSERT INTO items (id, source, source_kind, url, title, text, truncated, lang, published_at, fetched_at, tickers,
            duplicate_of, novelty, sentiment, p_negative, p_neutral, p_positive, topic, topic_score, topic_scores, model_version, scored_at, entities)
          VALUES ('mixed', 'test', 'replay', 'https://news.example/mixed', 'Chevron beats as Exxon slumps', 'text', false, 'en',
            '2026-03-02 13:30:00', '2026-03-02 13:30:00', ['CVX', 'XOM'], NULL, 1, 'negative', 0.7, 0.2, 0.1, 'Energy | Oil', 0.8,
            map('Energy | Oil', 0.8), 'finsent-test', '2026-03-02 13:30:00',
            [('Chevron', 'CVX', 'positive', 0.05, 0.05, 0.9, 0, 7), ('Exxon', 'XOM', 'negative', 0.9, 0.05, 0.05, 16, 21)])`,
      });
      const sql = clickhouseQueries().find((q) => q.name === 'panel $ticker: headlines')!.sql;
      const rows = (await run(sql.replace('LIMIT 100', ''))).data.filter((r) => String(r.url).endsWith('/mixed'));
      expect(rows.map((r) => [r.ticker_sentiment, r.text_sentiment, r.p_negative])).toEqual([
        ['positive', 'negative', 0.05],
      ]);
    });
  });
});
