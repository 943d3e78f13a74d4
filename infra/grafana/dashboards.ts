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
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

export const CLICKHOUSE_DS = { type: 'grafana-clickhouse-datasource', uid: 'finsent-clickhouse' } as const;
export const PROMETHEUS_DS = { type: 'prometheus', uid: 'finsent-prometheus' } as const;

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

/**
 * Every time series shows its legend as a table (last value and maximum per series) and a tooltip with all
 * series, largest first: the SDK's defaults hide the legend, so a chart of 20 topics named none of them.
 */
const legend = () =>
  new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.Table)
    .placement(common.LegendPlacement.Bottom)
    .calcs(['lastNotNull', 'max'])
    .sortBy('Last *')
    .sortDesc(true);
const tooltip = () =>
  new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending);

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

const promQuery = (expr: string, legend: string, refId = 'A') =>
  new prometheus.DataqueryBuilder().datasource(PROMETHEUS_DS).expr(expr).legendFormat(legend).refId(refId);

const promTimeseries = (title: string, unit: string, ...queries: prometheus.DataqueryBuilder[]) =>
  new timeseries.PanelBuilder()
    .title(title)
    .datasource(PROMETHEUS_DS)
    .targets(queries)
    .unit(unit)
    .height(8)
    .span(12)
    .legend(legend())
    .tooltip(tooltip());

const quantiles = (metric: string, label: string, refIds: [string, string]) => [
  promQuery(
    `histogram_quantile(0.5, sum by (le) (rate(${metric}_bucket[$__rate_interval])))`,
    `${label} p50`,
    refIds[0],
  ),
  promQuery(
    `histogram_quantile(0.99, sum by (le) (rate(${metric}_bucket[$__rate_interval])))`,
    `${label} p99`,
    refIds[1],
  ),
];

const averageOf = (metric: string, by: string, legend: string, refId: string) =>
  promQuery(
    `sum by (${by}) (rate(${metric}_sum[$__rate_interval])) / sum by (${by}) (rate(${metric}_count[$__rate_interval]))`,
    legend,
    refId,
  );

export function pipelineHealth(): dashboard.Dashboard {
  return new dashboard.DashboardBuilder('finsent: pipeline health')
    .uid('finsent-pipeline-health')
    .tags(['finsent', 'ops'])
    .description('Throughput, lag, batching, latency, errors and dead letters of the finsent services (Prometheus).')
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .withRow(new dashboard.RowBuilder('Flow'))
    .withPanel(
      promTimeseries(
        'Throughput per stage',
        'ops',
        promQuery('sum(rate(finsent_ingest_items_published_total[$__rate_interval]))', 'ingest: published', 'A'),
        promQuery('sum(rate(finsent_classify_items_total[$__rate_interval]))', 'classify: scored', 'B'),
        promQuery(
          'sum by (table) (rate(finsent_store_rows_inserted_total[$__rate_interval]))',
          'store: {{table}}',
          'C',
        ),
        promQuery('sum(rate(finsent_alert_items_observed_total[$__rate_interval]))', 'alert: signals observed', 'D'),
      ),
    )
    .withPanel(
      promTimeseries(
        'Consumer lag',
        'short',
        promQuery('max by (group, topic) (finsent_consumer_lag_messages)', '{{group}} ← {{topic}}'),
      ),
    )
    .withPanel(
      promTimeseries(
        'Average batch size',
        'short',
        averageOf('finsent_classify_batch_items', 'job', 'classify: items per model batch', 'A'),
        averageOf('finsent_store_batch_rows', 'table', 'store: rows per insert ({{table}})', 'B'),
      ),
    )
    .withPanel(
      promTimeseries(
        'Since last success',
        's',
        promQuery('time() - max(finsent_store_last_insert_timestamp_seconds)', 'store: last insert', 'A'),
        promQuery(
          'time() - max by (feed) (finsent_feed_last_success_timestamp_seconds)',
          'feed {{feed}}: last poll',
          'B',
        ),
      ),
    )
    .withRow(new dashboard.RowBuilder('Latency'))
    .withPanel(
      new heatmap.PanelBuilder()
        .title('Classify item latency (Kafka append → scored)')
        .datasource(PROMETHEUS_DS)
        .withTarget(
          promQuery(
            'sum by (le) (increase(finsent_classify_item_latency_seconds_bucket[$__rate_interval]))',
            '{{le}}',
          ).format(prometheus.PromQueryFormat.Heatmap),
        )
        .calculate(false)
        .height(8)
        .span(12),
    )
    .withPanel(
      promTimeseries(
        'Latency quantiles',
        's',
        ...quantiles('finsent_classify_item_latency_seconds', 'classify item', ['A', 'B']),
        ...quantiles('finsent_classify_inference_seconds', 'model batch', ['C', 'D']),
        ...quantiles('finsent_store_insert_seconds', 'store insert', ['E', 'F']),
        ...quantiles('finsent_store_end_to_end_seconds', 'fetch → stored', ['G', 'H']),
      ),
    )
    .withRow(new dashboard.RowBuilder('Errors'))
    .withPanel(
      promTimeseries(
        'Errors',
        'ops',
        promQuery(
          'sum by (feed) (rate(finsent_feed_polls_total{outcome="error"}[$__rate_interval]))',
          'feed poll failed: {{feed}}',
          'A',
        ),
        promQuery(
          'sum by (table) (rate(finsent_store_insert_failures_total[$__rate_interval]))',
          'store insert failed: {{table}}',
          'B',
        ),
        promQuery(
          'sum by (notifier) (rate(finsent_alert_deliveries_total{state="failed"}[$__rate_interval]))',
          'alert delivery failed: {{notifier}}',
          'C',
        ),
      ),
    )
    .withPanel(
      promTimeseries(
        'Dead letters',
        'ops',
        promQuery(
          'sum by (stage, reason) (rate(finsent_dead_letters_total[$__rate_interval]))',
          '{{stage}}: {{reason}}',
        ),
      ),
    )
    .withPanel(
      promTimeseries(
        'Feed consecutive failures',
        'short',
        promQuery('max by (feed) (finsent_feed_consecutive_failures)', '{{feed}}'),
      ),
    )
    .withPanel(
      promTimeseries(
        'Alerts fired',
        'short',
        promQuery(
          'sum by (scope, severity) (increase(finsent_alerts_fired_total[$__rate_interval]))',
          '{{scope}} {{severity}}',
        ),
      ),
    )
    .withRow(new dashboard.RowBuilder('Drift: live text against the training data'))
    .withPanel(
      promTimeseries(
        'PSI of confidence and unknown tokens (alert above 0.25)',
        'short',
        promQuery(
          'max by (source, feature) (finsent_classify_drift_psi{feature=~"confidence|unknown_tokens"})',
          '{{source}}: {{feature}}',
        ),
      ),
    )
    .withPanel(
      promTimeseries(
        'PSI of length and labels (shown, not alerted on)',
        'short',
        promQuery(
          'max by (source, feature) (finsent_classify_drift_psi{feature=~"tokens|sentiment|topic"})',
          '{{source}}: {{feature}}',
        ),
      ),
    )
    .withPanel(
      promTimeseries(
        'Confidence',
        'percentunit',
        promQuery(
          'max by (source, model_version) (finsent_classify_drift_mean_confidence)',
          'mean: {{source}} ({{model_version}})',
          'A',
        ),
        promQuery(
          'max by (source, model_version) (finsent_classify_drift_low_confidence_share)',
          'below 0.6: {{source}}',
          'B',
        ),
      ),
    )
    .withPanel(
      promTimeseries(
        'Negative share by source',
        'percentunit',
        promQuery('max by (source) (finsent_classify_drift_label_share{sentiment="negative"})', '{{source}}'),
      ),
    )
    .withPanel(
      promTimeseries(
        'Text',
        'short',
        promQuery('max by (source) (finsent_classify_drift_mean_tokens)', 'mean tokens: {{source}}', 'A'),
        promQuery(
          'max by (source) (finsent_classify_drift_unknown_token_share)',
          'unknown-token share: {{source}}',
          'B',
        ),
      ),
    )
    .withPanel(
      promTimeseries(
        'Languages',
        'percentunit',
        promQuery('max by (source, lang) (finsent_classify_drift_language_share)', '{{source}}: {{lang}}'),
      ),
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
