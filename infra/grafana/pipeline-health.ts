/** The pipeline-health dashboard (Prometheus): whether the numbers of the risk overview are complete and current. */
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { PROMETHEUS_DS, legend, tooltip } from './panels.js';

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
