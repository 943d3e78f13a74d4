/**
 * Versioned schema migrations, applied in order by `finsent migrate` and at store start-up. Each
 * statement is idempotent (IF NOT EXISTS), and applied versions are recorded, so running them
 * again, concurrently from two store processes, or after a crash half-way is safe. The SQL runs
 * unchanged on embedded ClickHouse (chdb) and on a ClickHouse server.
 *
 * Exactly-once counting: `items` is a ReplacingMergeTree keyed by item id, read with FINAL (or
 * through the v_items view), and the per-minute trend tables aggregate `uniqExact(id)` states,
 * so a batch redelivered after a crash can never count an item twice.
 */
import type { ClickHouseClient } from '@clickhouse/client';

export interface Migration {
  version: number;
  name: string;
  statements: (opts: MigrationOptions) => string[];
}

export interface MigrationOptions {
  /** Days the item text is kept; the row and its labels stay for trends and audits. */
  textTtlDays: number;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'items, trends, alerts, model versions',
    statements: ({ textTtlDays }) => [
      `CREATE TABLE IF NOT EXISTS items (
        id String,
        source LowCardinality(String),
        source_kind LowCardinality(String),
        url Nullable(String),
        title String,
        text String TTL toDateTime(published_at) + INTERVAL ${Math.trunc(textTtlDays)} DAY,
        truncated Bool,
        lang LowCardinality(String),
        published_at DateTime64(3, 'UTC'),
        fetched_at DateTime64(3, 'UTC'),
        tickers Array(LowCardinality(String)),
        duplicate_of Nullable(String),
        novelty Float32,
        sentiment LowCardinality(String),
        p_negative Float32,
        p_neutral Float32,
        p_positive Float32,
        topic LowCardinality(String),
        topic_score Float32,
        topic_scores Map(LowCardinality(String), Float32),
        model_version LowCardinality(String),
        scored_at DateTime64(3, 'UTC'),
        stored_at DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = ReplacingMergeTree(stored_at)
      PARTITION BY toYYYYMM(published_at)
      ORDER BY (toDate(published_at), id)`,
      `CREATE TABLE IF NOT EXISTS trend_topic_minute (
        minute DateTime('UTC'),
        topic LowCardinality(String),
        sentiment LowCardinality(String),
        items AggregateFunction(uniqExact, String)
      )
      ENGINE = AggregatingMergeTree
      PARTITION BY toYYYYMM(minute)
      ORDER BY (topic, sentiment, minute)`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS trend_topic_minute_mv TO trend_topic_minute AS
        SELECT toStartOfMinute(published_at) AS minute, topic, sentiment, uniqExactState(id) AS items
        FROM items GROUP BY minute, topic, sentiment`,
      `CREATE TABLE IF NOT EXISTS trend_ticker_minute (
        minute DateTime('UTC'),
        ticker LowCardinality(String),
        sentiment LowCardinality(String),
        items AggregateFunction(uniqExact, String)
      )
      ENGINE = AggregatingMergeTree
      PARTITION BY toYYYYMM(minute)
      ORDER BY (ticker, sentiment, minute)`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS trend_ticker_minute_mv TO trend_ticker_minute AS
        SELECT toStartOfMinute(published_at) AS minute, arrayJoin(tickers) AS ticker, sentiment, uniqExactState(id) AS items
        FROM items GROUP BY minute, ticker, sentiment`,
      `CREATE TABLE IF NOT EXISTS alerts (
        id String,
        scope LowCardinality(String),
        key String,
        severity LowCardinality(String),
        window_start DateTime64(3, 'UTC'),
        window_end DateTime64(3, 'UTC'),
        negative_count Float64,
        total_count Float64,
        negative_share Float64,
        baseline_share Float64,
        z_score Float64,
        headlines String,
        fired_at DateTime64(3, 'UTC'),
        delivery_state LowCardinality(String),
        delivery_attempts UInt16,
        delivery_error Nullable(String),
        recorded_at DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = ReplacingMergeTree(recorded_at)
      PARTITION BY toYYYYMM(fired_at)
      ORDER BY id`,
      `CREATE TABLE IF NOT EXISTS model_versions (
        model_version String,
        first_seen DateTime64(3, 'UTC')
      )
      ENGINE = ReplacingMergeTree
      ORDER BY model_version`,
      `CREATE VIEW IF NOT EXISTS v_items AS SELECT * FROM items FINAL`,
      `CREATE VIEW IF NOT EXISTS v_topic_sentiment_minute AS
        SELECT minute, topic,
          uniqExactMergeIf(items, sentiment = 'negative') AS negative,
          uniqExactMergeIf(items, sentiment = 'neutral') AS neutral,
          uniqExactMergeIf(items, sentiment = 'positive') AS positive,
          uniqExactMerge(items) AS total,
          if(total = 0, 0, negative / total) AS negative_share
        FROM trend_topic_minute GROUP BY minute, topic`,
      `CREATE VIEW IF NOT EXISTS v_ticker_sentiment_hour AS
        SELECT toStartOfHour(minute) AS hour, ticker,
          uniqExactMergeIf(items, sentiment = 'negative') AS negative,
          uniqExactMerge(items) AS total,
          if(total = 0, 0, negative / total) AS negative_share
        FROM trend_ticker_minute GROUP BY hour, ticker`,
    ],
  },
  {
    version: 2,
    name: 'analyst views: market, ticker minute, negative z-score, top negative headlines, alerts',
    // Every view reads the exactly-once sources (trend states or FINAL), so redelivery cannot skew
    // them. Window frames use RANGE over unix seconds rather than ROWS, because minutes without
    // items have no row and a ROWS frame would silently stretch the baseline over quiet periods.
    statements: () => [
      `CREATE VIEW IF NOT EXISTS v_market_sentiment_minute AS
        SELECT minute,
          uniqExactMergeIf(items, sentiment = 'negative') AS negative,
          uniqExactMergeIf(items, sentiment = 'neutral') AS neutral,
          uniqExactMergeIf(items, sentiment = 'positive') AS positive,
          uniqExactMerge(items) AS total,
          if(total = 0, 0, negative / total) AS negative_share
        FROM trend_topic_minute GROUP BY minute`,
      `CREATE VIEW IF NOT EXISTS v_ticker_sentiment_minute AS
        SELECT minute, ticker,
          uniqExactMergeIf(items, sentiment = 'negative') AS negative,
          uniqExactMergeIf(items, sentiment = 'positive') AS positive,
          uniqExactMerge(items) AS total,
          if(total = 0, 0, negative / total) AS negative_share
        FROM trend_ticker_minute GROUP BY minute, ticker`,
      // Baseline: the topic's minutes with items in the 60 minutes before this one (this minute
      // excluded, so a spike cannot dampen its own score). NULL z-score until there are 5 such
      // minutes or while the baseline has no spread: too little history is not evidence.
      `CREATE VIEW IF NOT EXISTS v_topic_negative_zscore AS
        SELECT minute, topic, negative, total, negative_share,
          baseline_minutes, baseline_mean, baseline_stddev,
          if(baseline_minutes < 5 OR baseline_stddev = 0, NULL, (negative_share - baseline_mean) / baseline_stddev) AS z_score
        FROM (
          SELECT minute, topic, negative, total, negative_share,
            count() OVER w AS baseline_minutes,
            avgOrNull(negative_share) OVER w AS baseline_mean,
            stddevPopOrNull(negative_share) OVER w AS baseline_stddev
          FROM (SELECT *, toUnixTimestamp(minute) AS ts FROM v_topic_sentiment_minute)
          WINDOW w AS (PARTITION BY topic ORDER BY ts RANGE BETWEEN 3600 PRECEDING AND 60 PRECEDING)
        )`,
      // Near-duplicates (reprints of a story already stored) are left out so one story shows once.
      `CREATE VIEW IF NOT EXISTS v_top_negative_headlines AS
        SELECT published_at, topic, tickers, title, url, source, p_negative, model_version, id
        FROM v_items
        WHERE sentiment = 'negative' AND duplicate_of IS NULL
        ORDER BY p_negative DESC, published_at DESC`,
      `CREATE VIEW IF NOT EXISTS v_alerts AS
        SELECT fired_at, scope, key, severity, window_start, window_end, negative_count, total_count,
          negative_share, baseline_share, z_score, delivery_state, delivery_attempts, delivery_error, headlines, id
        FROM alerts FINAL`,
    ],
  },
  {
    version: 3,
    name: 'score aggregates in the trend tables (mean probability of negative)',
    // Averages are safe to pre-aggregate because the store inserts each item once (sink.ts keeps
    // the first copy of a redelivered item); a materialized view cannot be altered, so it is
    // dropped and re-created, which the store does before it consumes anything.
    statements: () => [
      `ALTER TABLE trend_topic_minute ADD COLUMN IF NOT EXISTS p_negative AggregateFunction(avg, Float32)`,
      `DROP VIEW IF EXISTS trend_topic_minute_mv`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS trend_topic_minute_mv TO trend_topic_minute AS
        SELECT toStartOfMinute(published_at) AS minute, topic, sentiment, uniqExactState(id) AS items, avgState(p_negative) AS p_negative
        FROM items GROUP BY minute, topic, sentiment`,
      `ALTER TABLE trend_ticker_minute ADD COLUMN IF NOT EXISTS p_negative AggregateFunction(avg, Float32)`,
      `DROP VIEW IF EXISTS trend_ticker_minute_mv`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS trend_ticker_minute_mv TO trend_ticker_minute AS
        SELECT toStartOfMinute(published_at) AS minute, arrayJoin(tickers) AS ticker, sentiment, uniqExactState(id) AS items, avgState(p_negative) AS p_negative
        FROM items GROUP BY minute, ticker, sentiment`,
      `CREATE OR REPLACE VIEW v_topic_sentiment_minute AS
        SELECT minute, topic,
          uniqExactMergeIf(items, sentiment = 'negative') AS negative,
          uniqExactMergeIf(items, sentiment = 'neutral') AS neutral,
          uniqExactMergeIf(items, sentiment = 'positive') AS positive,
          uniqExactMerge(items) AS total,
          if(total = 0, 0, negative / total) AS negative_share,
          avgMerge(p_negative) AS avg_p_negative
        FROM trend_topic_minute GROUP BY minute, topic`,
      `CREATE OR REPLACE VIEW v_market_sentiment_minute AS
        SELECT minute,
          uniqExactMergeIf(items, sentiment = 'negative') AS negative,
          uniqExactMergeIf(items, sentiment = 'neutral') AS neutral,
          uniqExactMergeIf(items, sentiment = 'positive') AS positive,
          uniqExactMerge(items) AS total,
          if(total = 0, 0, negative / total) AS negative_share,
          avgMerge(p_negative) AS avg_p_negative
        FROM trend_topic_minute GROUP BY minute`,
    ],
  },
  {
    version: 4,
    name: "entity-level sentiment: item entities, per-entity rows, ticker trends from each ticker's own sentiment",
    // v2 items carry `entities`, each with its own sentiment. They are stored on the item row (so the item is
    // still inserted once, and its entities with it) and fanned out by materialized views: one row per entity
    // in item_entities, and ticker trends counted from the entity's sentiment. A ticker without an entity (a v1
    // item, or a ticker a pusher set) counts with the item's sentiment, so no ticker is lost across the change.
    // uniqExact(id) per ticker keeps the count exactly once per item. The trend MV is dropped and re-created
    // (as in version 3) before the store consumes anything.
    statements: () => [
      `ALTER TABLE items ADD COLUMN IF NOT EXISTS entities Array(Tuple(
        name String, ticker Nullable(String), sentiment LowCardinality(String),
        p_negative Float32, p_neutral Float32, p_positive Float32, start UInt32, end UInt32)) DEFAULT []`,
      `CREATE TABLE IF NOT EXISTS item_entities (
        id String,
        published_at DateTime64(3, 'UTC'),
        entity String,
        ticker Nullable(String),
        sentiment LowCardinality(String),
        p_negative Float32,
        p_neutral Float32,
        p_positive Float32,
        start UInt32,
        end UInt32,
        item_sentiment LowCardinality(String),
        topic LowCardinality(String),
        model_version LowCardinality(String),
        scored_at DateTime64(3, 'UTC'),
        stored_at DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = ReplacingMergeTree(stored_at)
      PARTITION BY toYYYYMM(published_at)
      ORDER BY (toDate(published_at), id, start, entity)`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS item_entities_mv TO item_entities AS
        SELECT id, published_at, e.name AS entity, e.ticker AS ticker, e.sentiment AS sentiment,
          e.p_negative AS p_negative, e.p_neutral AS p_neutral, e.p_positive AS p_positive, e.start AS start, e.end AS end,
          item_sentiment, topic, model_version, scored_at
        -- the item's own sentiment is renamed first: in the outer SELECT, \`sentiment\` is the entity's
        FROM (SELECT id, published_at, entities, sentiment AS item_sentiment, topic, model_version, scored_at FROM items)
        ARRAY JOIN entities AS e`,
      `DROP VIEW IF EXISTS trend_ticker_minute_mv`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS trend_ticker_minute_mv TO trend_ticker_minute AS
        SELECT toStartOfMinute(published_at) AS minute, own.1 AS ticker, own.2 AS sentiment,
          uniqExactState(id) AS items, avgState(own.3) AS p_negative
        FROM (
          SELECT published_at, id,
            arrayFilter(e -> e.ticker IS NOT NULL, entities) AS tagged,
            arrayMap(e -> assumeNotNull(e.ticker), tagged) AS entity_tickers,
            arrayMap(t -> if(has(entity_tickers, t),
                (t, tagged[indexOf(entity_tickers, t)].sentiment, tagged[indexOf(entity_tickers, t)].p_negative),
                (t, sentiment, p_negative)),
              arrayDistinct(arrayConcat(tickers, entity_tickers))) AS owns
          FROM items
        )
        ARRAY JOIN owns AS own
        GROUP BY minute, ticker, sentiment`,
      `CREATE VIEW IF NOT EXISTS v_item_entities AS SELECT * FROM item_entities FINAL`,
      // A view's columns are fixed when it is created: re-create v_items so it shows `entities` too.
      `CREATE OR REPLACE VIEW v_items AS SELECT * FROM items FINAL`,
    ],
  },
  {
    version: 5,
    name: "analysts' corrections of labels, and the labels as corrected",
    // Corrections arrive through Kafka (finsent.corrections.v1) and are kept forever: each is stored once (its id
    // orders the table, FINAL collapses a redelivery), and the newest correction of a label is the one that counts,
    // so correcting a correction never counts an item twice.
    statements: () => [
      `CREATE TABLE IF NOT EXISTS corrections (
        id String,
        item_id String,
        field LowCardinality(String),
        entity Nullable(String),
        ticker Nullable(String),
        old_label Nullable(String),
        new_label LowCardinality(String),
        model_version Nullable(String),
        created_by String,
        created_at DateTime64(3, 'UTC'),
        note Nullable(String),
        stored_at DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = ReplacingMergeTree(stored_at)
      ORDER BY id`,
      `CREATE VIEW IF NOT EXISTS v_corrections AS SELECT * FROM corrections FINAL`,
      // The label each corrected (item, field, entity) has now, with how many corrections it took.
      `CREATE VIEW IF NOT EXISTS v_corrections_latest AS
        SELECT item_id, field, ifNull(entity, '') AS entity, argMax(new_label, created_at) AS label,
          argMax(old_label, created_at) AS model_label, argMax(model_version, created_at) AS model_version,
          argMax(created_by, created_at) AS corrected_by, max(created_at) AS corrected_at, count() AS corrections
        FROM v_corrections GROUP BY item_id, field, entity`,
      // Every item with the model's labels and, beside them, the corrected ones (NULL where nobody corrected).
      `CREATE VIEW IF NOT EXISTS v_items_corrected AS
        SELECT i.id AS id, i.published_at AS published_at, i.source AS source, i.title AS title, i.url AS url,
          i.model_version AS model_version, i.tickers AS tickers,
          i.sentiment AS model_sentiment, nullIf(s.label, '') AS corrected_sentiment, ifNull(corrected_sentiment, model_sentiment) AS sentiment,
          i.topic AS model_topic, nullIf(t.label, '') AS corrected_topic, ifNull(corrected_topic, model_topic) AS topic
        FROM v_items AS i
        LEFT JOIN (SELECT item_id, label FROM v_corrections_latest WHERE field = 'sentiment') AS s ON s.item_id = i.id
        LEFT JOIN (SELECT item_id, label FROM v_corrections_latest WHERE field = 'topic') AS t ON t.item_id = i.id`,
      // Trends read the corrected way (computed from the items, not the pre-aggregated trend tables).
      `CREATE VIEW IF NOT EXISTS v_topic_sentiment_minute_corrected AS
        SELECT toStartOfMinute(published_at) AS minute, topic,
          countIf(sentiment = 'negative') AS negative, countIf(sentiment = 'neutral') AS neutral,
          countIf(sentiment = 'positive') AS positive, count() AS total, negative / total AS negative_share
        FROM v_items_corrected GROUP BY minute, topic`,
    ],
  },
  {
    version: 6,
    name: 'labels of a candidate model scored in shadow',
    // One row per item and candidate version: a redelivery or a re-run collapses under FINAL.
    statements: () => [
      `CREATE TABLE IF NOT EXISTS shadow_labels (
        item_id String,
        published_at DateTime64(3, 'UTC'),
        model_version LowCardinality(String),
        live_model_version LowCardinality(String),
        sentiment LowCardinality(String),
        p_negative Float32,
        p_neutral Float32,
        p_positive Float32,
        topic LowCardinality(String),
        topic_score Float32,
        entities Array(Tuple(name String, ticker Nullable(String), sentiment LowCardinality(String))),
        scored_at DateTime64(3, 'UTC'),
        stored_at DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = ReplacingMergeTree(stored_at)
      PARTITION BY toYYYYMM(published_at)
      ORDER BY (item_id, model_version)`,
      `CREATE VIEW IF NOT EXISTS v_shadow_labels AS SELECT * FROM shadow_labels FINAL`,
    ],
  },
];

const LEDGER = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
) ENGINE = ReplacingMergeTree ORDER BY version`;

export async function appliedVersions(client: ClickHouseClient): Promise<Set<number>> {
  await client.command({ query: LEDGER });
  const rs = await client.query({ query: 'SELECT version FROM schema_migrations FINAL', format: 'JSONEachRow' });
  const rows = await rs.json<{ version: number }>();
  return new Set(rows.map((r) => Number(r.version)));
}

/** Applies pending migrations; returns the versions it applied (empty when up to date). */
export async function migrate(client: ClickHouseClient, opts: MigrationOptions): Promise<number[]> {
  const done = await appliedVersions(client);
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    for (const sql of m.statements(opts)) await client.command({ query: sql });
    await client.insert({
      table: 'schema_migrations',
      values: [{ version: m.version, name: m.name }],
      format: 'JSONEachRow',
    });
    applied.push(m.version);
  }
  return applied;
}
