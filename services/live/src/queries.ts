/**
 * What each page of the live view shows, read from ClickHouse with fixed statements (the browser never sends SQL).
 *
 * The view follows the data's clock: its window ends at the newest stored minute (never later than now), so a
 * replay of older news, such as `finsent start`'s bundled sample, shows as it would have live, and "the last hour"
 * is the last hour of news, as the alert detector's event clock counts it.
 */
import type { ClickHouseClient } from '@finsent/shared';
import { latestFigures, shareSeries, BASELINE_MINUTES, type MinuteCounts, type ShareSeries } from './series.js';

export interface ViewOptions {
  historyMinutes: number;
  companyNames: ReadonlyMap<string, string>;
}

export interface Trend {
  series: ShareSeries;
  latest: ReturnType<typeof latestFigures>;
}

export interface AlertRow {
  id: string;
  fired_at: number;
  scope: string;
  key: string;
  name: string | null;
  severity: string;
  negative_share: number;
  baseline_share: number;
  z_score: number;
  window_start: number;
  window_end: number;
  delivery_state: string;
  headlines: Array<{ title: string; url: string | null }>;
}

export interface HeadlineRow {
  id: string;
  published_at: number;
  title: string;
  url: string | null;
  source: string;
  topic: string;
  tickers: string[];
  sentiment: string;
  p_negative: number;
}

export interface Overview {
  view: 'overview';
  /** Start of the newest minute with items (unix seconds); null while nothing is stored. */
  data_until: number | null;
  history_minutes: number;
  items_in_window: number;
  market: Trend;
  topics: Array<{ topic: string } & Trend>;
  alerts: AlertRow[];
  negative_headlines: HeadlineRow[];
  tickers: Array<{ ticker: string; name: string | null; items: number; negative: number }>;
}

export interface TickerView {
  view: 'ticker';
  ticker: string;
  name: string | null;
  data_until: number | null;
  history_minutes: number;
  trend: Trend;
  headlines: HeadlineRow[];
  alerts: AlertRow[];
}

const ALERTS_SHOWN = 20;
const HEADLINES_SHOWN = 15;
const TICKERS_SHOWN = 12;

async function rows<T>(client: ClickHouseClient, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  return (await client.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();
}

/** The data's clock: the newest stored minute, never past the current one (an item dated ahead cannot pull it on). */
async function dataUntil(client: ClickHouseClient): Promise<number | null> {
  const [r] = await rows<{ end: number | null }>(
    client,
    'SELECT if(count() = 0, NULL, toUInt32(least(max(minute), toStartOfMinute(now())))) AS end FROM trend_topic_minute',
  );
  return r?.end ?? null;
}

/** The frame the counts are read for: the window and the hour before it that the first minutes' baseline needs. */
const frame = (end: number, historyMinutes: number) => ({ from: end - (historyMinutes + BASELINE_MINUTES) * 60, end });

const trend = (counts: MinuteCounts[], end: number, minutes: number): Trend => {
  const series = shareSeries(counts, end, minutes);
  return { series, latest: latestFigures(series) };
};

const ALERT_COLUMNS = `id, toUnixTimestamp64Milli(fired_at) AS fired_at, scope, key, severity, negative_share, baseline_share, z_score,
  toUnixTimestamp64Milli(window_start) AS window_start, toUnixTimestamp64Milli(window_end) AS window_end, delivery_state, headlines`;

function alertRows(
  raw: Array<Omit<AlertRow, 'headlines' | 'name'> & { headlines: string }>,
  names: ReadonlyMap<string, string>,
): AlertRow[] {
  return raw.map((a) => {
    let headlines: AlertRow['headlines'] = [];
    try {
      headlines = (JSON.parse(a.headlines) as Array<{ title: string; url: string | null }>).map((h) => ({
        title: h.title,
        url: h.url,
      }));
    } catch {
      // Recorded by the alert service from a validated alert; an unreadable list shows as none rather than failing the page.
    }
    return {
      ...a,
      fired_at: Number(a.fired_at),
      window_start: Number(a.window_start),
      window_end: Number(a.window_end),
      name: a.scope === 'ticker' ? (names.get(a.key) ?? null) : null,
      headlines,
    };
  });
}

/**
 * A headline row as selected. Output names differ from the columns on purpose: ClickHouse resolves a name in WHERE
 * to a SELECT alias first, so `… AS published_at` would filter on the alias (milliseconds), not the column.
 */
type HeadlineSql = Omit<HeadlineRow, 'published_at' | 'sentiment' | 'p_negative'> & {
  published_ms: string;
  label: string;
  p_label_negative: number;
};

/** ClickHouse's JSON quotes 64-bit integers: the millisecond timestamps come back as strings. */
const headline = ({ published_ms, label, p_label_negative, ...h }: HeadlineSql & { own?: unknown }): HeadlineRow => {
  delete h.own;
  return { ...h, published_at: Number(published_ms), sentiment: label, p_negative: p_label_negative };
};

export async function readOverview(client: ClickHouseClient, o: ViewOptions): Promise<Overview> {
  const end = await dataUntil(client);
  const empty: Trend = trend([], 0, 0);
  if (end === null) {
    return {
      view: 'overview',
      data_until: null,
      history_minutes: o.historyMinutes,
      items_in_window: 0,
      market: empty,
      topics: [],
      alerts: [],
      negative_headlines: [],
      tickers: [],
    };
  }
  const p = frame(end, o.historyMinutes);
  const [market, topics, alerts, headlines, tickers] = await Promise.all([
    rows<MinuteCounts>(
      client,
      `SELECT toUInt32(minute) AS t, toUInt32(total) AS total, toUInt32(negative) AS negative
      FROM v_market_sentiment_minute WHERE minute > toDateTime({from:UInt32}) AND minute <= toDateTime({end:UInt32}) ORDER BY minute`,
      p,
    ),
    rows<MinuteCounts & { topic: string }>(
      client,
      `SELECT topic, toUInt32(minute) AS t, toUInt32(total) AS total, toUInt32(negative) AS negative
      FROM v_topic_sentiment_minute WHERE minute > toDateTime({from:UInt32}) AND minute <= toDateTime({end:UInt32}) ORDER BY topic, minute`,
      p,
    ),
    rows<Omit<AlertRow, 'headlines' | 'name'> & { headlines: string }>(
      client,
      `SELECT ${ALERT_COLUMNS} FROM v_alerts ORDER BY fired_at DESC LIMIT ${ALERTS_SHOWN}`,
    ),
    rows<HeadlineSql>(
      client,
      `SELECT id, toUnixTimestamp64Milli(published_at) AS published_ms, title, url, source, topic, tickers,
        'negative' AS label, toFloat64(p_negative) AS p_label_negative
      FROM v_top_negative_headlines
      WHERE published_at > toDateTime({end:UInt32}) - INTERVAL 1 HOUR AND published_at < toDateTime({end:UInt32}) + INTERVAL 1 MINUTE
      LIMIT ${HEADLINES_SHOWN}`,
      p,
    ),
    rows<{ ticker: string; items: number; negative: number }>(
      client,
      `SELECT ticker, toUInt32(sum(total)) AS items, toUInt32(sum(negative)) AS negative
      FROM v_ticker_sentiment_minute WHERE minute > toDateTime({end:UInt32}) - INTERVAL 1 HOUR AND minute <= toDateTime({end:UInt32})
      GROUP BY ticker ORDER BY negative DESC, items DESC, ticker LIMIT ${TICKERS_SHOWN}`,
      p,
    ),
  ]);
  const byTopic = new Map<string, MinuteCounts[]>();
  for (const r of topics) (byTopic.get(r.topic) ?? byTopic.set(r.topic, []).get(r.topic)!).push(r);
  const topicTrends = [...byTopic]
    .map(([topic, counts]) => ({ topic, ...trend(counts, end, o.historyMinutes) }))
    .filter((x) => x.series.items.some((n) => n > 0))
    // The topics whose recent share rises furthest above their baseline on the most items first: what a risk desk
    // looks at first (one negative item of one is a 100% share, and little evidence).
    .sort((a, b) => rise(b) - rise(a) || a.topic.localeCompare(b.topic));
  const marketTrend = trend(market, end, o.historyMinutes);
  return {
    view: 'overview',
    data_until: end,
    history_minutes: o.historyMinutes,
    items_in_window: marketTrend.series.items.reduce((a, b) => a + b, 0),
    market: marketTrend,
    topics: topicTrends,
    alerts: alertRows(alerts, o.companyNames),
    negative_headlines: headlines.map(headline),
    tickers: tickers.map((t) => ({ ...t, name: o.companyNames.get(t.ticker) ?? null })),
  };
}

const rise = (t: Trend) =>
  ((t.latest.share ?? 0) - (t.latest.baseline ?? t.latest.share ?? 0)) * Math.sqrt(t.latest.items);

export async function readTicker(client: ClickHouseClient, ticker: string, o: ViewOptions): Promise<TickerView> {
  const name = o.companyNames.get(ticker) ?? null;
  const end = await dataUntil(client);
  if (end === null)
    return {
      view: 'ticker',
      ticker,
      name,
      data_until: null,
      history_minutes: o.historyMinutes,
      trend: trend([], 0, 0),
      headlines: [],
      alerts: [],
    };
  const p = { ...frame(end, o.historyMinutes), ticker };
  const [counts, headlines, alerts] = await Promise.all([
    rows<MinuteCounts>(
      client,
      `SELECT toUInt32(minute) AS t, toUInt32(total) AS total, toUInt32(negative) AS negative FROM v_ticker_sentiment_minute
      WHERE ticker = {ticker:String} AND minute > toDateTime({from:UInt32}) AND minute <= toDateTime({end:UInt32}) ORDER BY minute`,
      p,
    ),
    // The company's own sentiment where the item scored it as an entity, else the item's (a pushed ticker, a v1 item).
    rows<HeadlineSql>(
      client,
      `SELECT id, toUnixTimestamp64Milli(published_at) AS published_ms, title, url, source, topic, tickers,
        arrayFilter(e -> e.ticker = {ticker:String}, entities) AS own,
        if(empty(own), sentiment, own[1].sentiment) AS label, toFloat64(if(empty(own), p_negative, own[1].p_negative)) AS p_label_negative
      FROM v_items
      WHERE published_at > toDateTime({from:UInt32}) AND (has(tickers, {ticker:String}) OR notEmpty(own)) AND duplicate_of IS NULL
      ORDER BY published_at DESC LIMIT ${HEADLINES_SHOWN}`,
      p,
    ),
    rows<Omit<AlertRow, 'headlines' | 'name'> & { headlines: string }>(
      client,
      `SELECT ${ALERT_COLUMNS} FROM v_alerts WHERE scope = 'ticker' AND key = {ticker:String} ORDER BY fired_at DESC LIMIT ${ALERTS_SHOWN}`,
      p,
    ),
  ]);
  return {
    view: 'ticker',
    ticker,
    name,
    data_until: end,
    history_minutes: o.historyMinutes,
    trend: trend(counts, end, o.historyMinutes),
    headlines: headlines.map(headline),
    alerts: alertRows(alerts, o.companyNames),
  };
}
