/** Mapping from pipeline messages to ClickHouse rows (pure, unit-tested). */
import type { Alert, Correction, ScoredItem, ShadowLabels } from '@finsent/shared';

/** ClickHouse's DateTime64 input wants 'YYYY-MM-DD hh:mm:ss.sss' (UTC) with default settings. */
export function toClickHouseTime(iso: string): string {
  return new Date(iso).toISOString().replace('T', ' ').replace('Z', '');
}

export function itemRow(item: ScoredItem) {
  return {
    id: item.id,
    source: item.source,
    source_kind: item.source_kind,
    url: item.url,
    title: item.title,
    text: item.text,
    truncated: item.truncated,
    lang: item.lang,
    published_at: toClickHouseTime(item.published_at),
    fetched_at: toClickHouseTime(item.fetched_at),
    tickers: item.tickers,
    duplicate_of: item.duplicate_of,
    novelty: item.novelty,
    ...sentimentColumns(item),
    topic: item.topic,
    topic_score: item.topic_scores[item.topic] ?? 0,
    topic_scores: item.topic_scores,
    model_version: item.model_version,
    scored_at: toClickHouseTime(item.scored_at),
    entities: item.entities.map((e) => ({
      name: e.name,
      ticker: e.ticker,
      ...sentimentColumns(e),
      start: e.start,
      end: e.end,
    })),
  };
}

/** The label and its three probabilities as the tables store them (items and their entities alike). */
function sentimentColumns(s: Pick<ScoredItem, 'sentiment' | 'sentiment_scores'>) {
  return {
    sentiment: s.sentiment,
    p_negative: s.sentiment_scores.negative ?? 0,
    p_neutral: s.sentiment_scores.neutral ?? 0,
    p_positive: s.sentiment_scores.positive ?? 0,
  };
}

export function correctionRow(c: Correction) {
  return {
    id: c.id,
    item_id: c.item_id,
    field: c.field,
    entity: c.entity,
    ticker: c.ticker,
    old_label: c.old_label,
    new_label: c.new_label,
    model_version: c.model_version,
    created_by: c.created_by,
    created_at: toClickHouseTime(c.created_at),
    note: c.note,
  };
}

export function shadowRow(l: ShadowLabels) {
  return {
    item_id: l.item_id,
    published_at: toClickHouseTime(l.published_at),
    model_version: l.model_version,
    live_model_version: l.live_model_version,
    sentiment: l.sentiment,
    p_negative: l.sentiment_scores.negative ?? 0,
    p_neutral: l.sentiment_scores.neutral ?? 0,
    p_positive: l.sentiment_scores.positive ?? 0,
    topic: l.topic,
    topic_score: l.topic_score,
    entities: l.entities.map((e) => ({ name: e.name, ticker: e.ticker, sentiment: e.sentiment })),
    scored_at: toClickHouseTime(l.scored_at),
  };
}

export function alertRow(alert: Alert) {
  return {
    id: alert.id,
    scope: alert.scope,
    key: alert.key,
    severity: alert.severity,
    window_start: toClickHouseTime(alert.window_start),
    window_end: toClickHouseTime(alert.window_end),
    negative_count: alert.negative_count,
    total_count: alert.total_count,
    negative_share: alert.negative_share,
    baseline_share: alert.baseline_share,
    z_score: alert.z_score,
    headlines: JSON.stringify(alert.headlines),
    fired_at: toClickHouseTime(alert.fired_at),
    delivery_state: alert.delivery_state,
    delivery_attempts: alert.delivery_attempts,
    delivery_error: alert.delivery_error,
  };
}

/**
 * ClickHouse refuses an insert whose rows fall into more than `max_partitions_per_insert_block`
 * partitions (default 100; error 252, "Too many partitions for single INSERT block"). The items
 * and alerts tables are partitioned by month, so a backfill spanning more than 100 months would
 * fail the same way on every retry and stall the store. Splits `rows` into chunks that each touch
 * at most `maxPartitions` partitions, keeping the rows of one partition together and in order.
 */
export function splitByPartition<R>(rows: readonly R[], partitionOf: (row: R) => string, maxPartitions = 100): R[][] {
  const byPartition = new Map<string, R[]>();
  for (const row of rows) {
    const key = partitionOf(row);
    const group = byPartition.get(key);
    if (group) group.push(row);
    else byPartition.set(key, [row]);
  }
  if (byPartition.size <= maxPartitions) return rows.length ? [[...rows]] : [];
  const groups = [...byPartition.values()];
  const chunks: R[][] = [];
  for (let i = 0; i < groups.length; i += maxPartitions) chunks.push(groups.slice(i, i + maxPartitions).flat());
  return chunks;
}

/** The month partition (toYYYYMM) of a row, from the ClickHouse time string of its partition column. */
export const monthOf =
  (column: string) =>
  (row: Record<string, unknown>): string =>
    String(row[column]).slice(0, 7);
