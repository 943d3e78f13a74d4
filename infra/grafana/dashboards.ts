/**
 * Grafana dashboards as code (@grafana/grafana-foundation-sdk) and their provisioning files.
 * `finsent dashboards` writes them under infra/grafana/; infra/grafana/dashboards.test.ts checks the
 * committed files are what this module generates and runs every ClickHouse query against data.
 *
 * - Risk overview (ClickHouse plugin): what analysts and risk teams watch.
 * - Pipeline health (Prometheus): whether the numbers above are complete and current.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

import { CLICKHOUSE_DS, PROMETHEUS_DS, legend, tooltip } from './panels.js';
import { pipelineHealth } from './pipeline-health.js';

export { CLICKHOUSE_DS, PROMETHEUS_DS } from './panels.js';
export { pipelineHealth } from './pipeline-health.js';

/** Query of the grafana-clickhouse-datasource plugin (v4); the SDK has no builder for it. */
class ClickHouseQuery implements cog.Builder<cog.Dataquery> {
  constructor(
    private readonly rawSql: string,
    private readonly shape: 'timeseries' | 'table',
    private readonly refId = 'A',
  ) {}

  build(): cog.Dataquery {
    return {
      refId: this.refId,
      datasource: CLICKHOUSE_DS,
      editorType: 'sql',
      queryType: this.shape,
      // Plugin v4 format enum: 0 time series, 1 table.
      format: this.shape === 'timeseries' ? 0 : 1,
      rawSql: this.rawSql,
      _implementsDataqueryVariant() {},
    } as cog.Dataquery;
  }
}

const sql = (strings: TemplateStringsArray, ...values: unknown[]) =>
  String.raw({ raw: strings }, ...values)
    .replace(/\n\s+/g, '\n')
    .trim();

const chTimeseries = (title: string, query: string) =>
  new timeseries.PanelBuilder()
    .title(title)
    .datasource(CLICKHOUSE_DS)
    .withTarget(new ClickHouseQuery(query, 'timeseries'))
    .height(8)
    .span(12)
    .legend(legend())
    .tooltip(tooltip());

const chTable = (title: string, query: string) =>
  new table.PanelBuilder()
    .title(title)
    .datasource(CLICKHOUSE_DS)
    .withTarget(new ClickHouseQuery(query, 'table'))
    .height(10)
    .span(24);

/** Field link on `title` to the story's own url column. */
const storyLink = { id: 'links', value: [{ title: 'Open story', url: '${__data.fields.url}', targetBlank: true }] };

export function riskOverview(): dashboard.Dashboard {
  const ticker = new dashboard.QueryVariableBuilder('ticker')
    .label('Ticker')
    .datasource(CLICKHOUSE_DS)
    .query(sql`SELECT DISTINCT ticker FROM trend_ticker_minute ORDER BY ticker`)
    .refresh(dashboard.VariableRefresh.OnDashboardLoad)
    .sort(dashboard.VariableSort.AlphabeticalAsc);

  const alerts = new dashboard.AnnotationQueryBuilder()
    .name('Sentiment alerts')
    .datasource(CLICKHOUSE_DS)
    .enable(true)
    .iconColor('red')
    .target(
      new ClickHouseQuery(
        sql`SELECT window_start AS time, window_end AS timeEnd,
          concat(severity, ' ', scope, ' ', key, ': negative share ', toString(round(negative_share, 2)), ' vs ', toString(round(baseline_share, 2)), ' (z ', toString(round(z_score, 1)), ')') AS text,
          concat(scope, ',', severity) AS tags
          FROM v_alerts WHERE $__timeFilter(fired_at) ORDER BY time`,
        'table',
        'Anno',
      ),
    );

  return new dashboard.DashboardBuilder('finsent: risk overview')
    .uid('finsent-risk-overview')
    .tags(['finsent', 'risk'])
    .description(
      'News sentiment by topic and ticker from ClickHouse: negative share, volume, z-scores, alerts and the most negative headlines.',
    )
    .time({ from: 'now-6h', to: 'now' })
    .refresh('1m')
    .timezone('utc')
    .withVariable(ticker)
    .annotation(alerts)
    .withRow(new dashboard.RowBuilder('Market by topic'))
    .withPanel(
      chTimeseries(
        'Negative share by topic',
        sql`SELECT $__timeInterval(minute) AS time, topic, sum(negative) / sum(total) AS negative_share
          FROM v_topic_sentiment_minute WHERE $__timeFilter(minute)
          GROUP BY time, topic ORDER BY time`,
      )
        .unit('percentunit')
        .min(0)
        .max(1),
    )
    .withPanel(
      chTimeseries(
        'Volume by topic',
        sql`SELECT $__timeInterval(minute) AS time, topic, sum(total) AS items
          FROM v_topic_sentiment_minute WHERE $__timeFilter(minute)
          GROUP BY time, topic ORDER BY time`,
      )
        .drawStyle(common.GraphDrawStyle.Bars)
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
        .unit('short'),
    )
    .withPanel(
      chTimeseries(
        'Negative-share z-score by topic (vs trailing 60 min)',
        sql`SELECT minute AS time, topic, z_score
          FROM v_topic_negative_zscore WHERE $__timeFilter(minute) AND z_score IS NOT NULL
          ORDER BY time`,
      ).unit('none'),
    )
    .withPanel(
      chTimeseries(
        'Market negative share',
        sql`SELECT $__timeInterval(minute) AS time, sum(negative) / sum(total) AS negative_share, sum(total) AS items
          FROM v_market_sentiment_minute WHERE $__timeFilter(minute)
          GROUP BY time ORDER BY time`,
      ).overrideByName('negative_share', [{ id: 'unit', value: 'percentunit' }]),
    )
    .withPanel(
      chTable(
        'Top negative headlines',
        sql`SELECT published_at AS time, topic, arrayStringConcat(tickers, ' ') AS tickers, title, round(p_negative, 3) AS p_negative, source, url
          FROM v_top_negative_headlines WHERE $__timeFilter(published_at)
          ORDER BY p_negative DESC, time DESC LIMIT 50`,
      ).overrideByName('title', [storyLink]),
    )
    .withPanel(
      chTable(
        'Alerts',
        sql`SELECT fired_at AS time, severity, scope, key, round(negative_share, 3) AS negative_share, round(baseline_share, 3) AS baseline_share,
          round(z_score, 2) AS z_score, toUInt64(total_count) AS items, delivery_state
          FROM v_alerts WHERE $__timeFilter(fired_at) ORDER BY time DESC LIMIT 100`,
      ).height(8),
    )
    .withRow(new dashboard.RowBuilder('Ticker drill-down: $ticker'))
    .withPanel(
      chTimeseries(
        '$ticker: negative share and volume',
        sql`SELECT $__timeInterval(minute) AS time, sum(negative) / sum(total) AS negative_share, sum(total) AS items
          FROM v_ticker_sentiment_minute WHERE $__timeFilter(minute) AND ticker = \${ticker:singlequote}
          GROUP BY time ORDER BY time`,
      ).overrideByName('negative_share', [{ id: 'unit', value: 'percentunit' }]),
    )
    .withPanel(
      chTable(
        '$ticker: headlines',
        // The ticker's own sentiment in the headline (its entity), beside the whole text's: they differ when a
        // headline is good for one company and bad for another.
        sql`SELECT published_at AS time, if(empty(own), sentiment, own[1].1) AS ticker_sentiment, sentiment AS text_sentiment,
            round(if(empty(own), p_negative, own[1].2), 3) AS p_negative, topic, title, url
          FROM (SELECT published_at, sentiment, p_negative, topic, title, url,
              arrayMap(e -> (e.sentiment, e.p_negative), arrayFilter(e -> e.ticker = \${ticker:singlequote}, entities)) AS own
            FROM v_items WHERE $__timeFilter(published_at) AND has(tickers, \${ticker:singlequote}))
          ORDER BY time DESC LIMIT 100`,
      )
        .span(12)
        .overrideByName('title', [storyLink]),
    )
    .build();
}

const DATASOURCES_YAML = `# Generated by \`finsent dashboards\` (infra/grafana/dashboards.ts); do not edit.
# Grafana expands $VAR and \${VAR} only (no \${VAR:-default}): every variable must be set in Grafana's environment
# (infra/docker-compose.yml sets them all).
apiVersion: 1
datasources:
  - name: ClickHouse
    uid: ${CLICKHOUSE_DS.uid}
    type: ${CLICKHOUSE_DS.type}
    jsonData:
      host: \${CLICKHOUSE_HOST}
      port: \${CLICKHOUSE_PORT}
      protocol: http
      defaultDatabase: \${CLICKHOUSE_DATABASE}
      username: \${CLICKHOUSE_USER}
    secureJsonData:
      password: \${CLICKHOUSE_PASSWORD}
  - name: Prometheus
    uid: ${PROMETHEUS_DS.uid}
    type: ${PROMETHEUS_DS.type}
    access: proxy
    url: \${PROMETHEUS_URL}
    isDefault: true
`;

const DASHBOARDS_YAML = `# Generated by \`finsent dashboards\` (infra/grafana/dashboards.ts); do not edit.
apiVersion: 1
providers:
  - name: finsent
    folder: finsent
    type: file
    disableDeletion: true
    allowUiUpdates: false
    options:
      path: /var/lib/grafana/dashboards/finsent
`;

/** Every generated file, by path relative to infra/grafana/. */
export function renderGrafanaFiles(): Record<string, string> {
  const json = (d: dashboard.Dashboard) => `${JSON.stringify(d, null, 2)}\n`;
  return {
    'dashboards/risk-overview.json': json(riskOverview()),
    'dashboards/pipeline-health.json': json(pipelineHealth()),
    'provisioning/datasources/datasources.yaml': DATASOURCES_YAML,
    'provisioning/dashboards/dashboards.yaml': DASHBOARDS_YAML,
  };
}

export const GRAFANA_DIR = dirname(new URL(import.meta.url).pathname);

export function writeGrafanaFiles(root = GRAFANA_DIR): string[] {
  return Object.entries(renderGrafanaFiles()).map(([rel, text]) => {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return path;
  });
}
