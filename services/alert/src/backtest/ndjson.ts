/**
 * The backtest's file format, one JSON object a line: an item (scored-item-like: published_at,
 * sentiment, topic, optional tickers, entities [{ticker, sentiment}], novelty, id, title, url) or a label
 * (`label`: spike or reprint, scope, key, sigma, onset, end; a ticker spike also its partner and topic). `finsent backtest --write` produces it, `--in` reads it.
 */
import type { BacktestItem, GeneratedStream, SpikeLabel } from './stream-generator.js';

export type BacktestLine = { item: BacktestItem } | { label: SpikeLabel } | { error: string } | null;

export function parseBacktestLine(line: string, n: number): BacktestLine {
  if (!line.trim()) return null;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { error: `line ${n}: not JSON` };
  }
  if (o.label === 'spike' || o.label === 'reprint') {
    const onsetMs = Date.parse(String(o.onset));
    const endMs = Date.parse(String(o.end));
    if (
      Number.isNaN(onsetMs) ||
      Number.isNaN(endMs) ||
      (o.scope !== 'market' && o.scope !== 'topic' && o.scope !== 'ticker')
    )
      return { error: `line ${n}: a label needs scope market|topic|ticker, onset and end` };
    const label: SpikeLabel = {
      kind: o.label,
      scope: o.scope,
      key: o.scope === 'market' ? '*' : String(o.key),
      sigma: Number(o.sigma ?? 0),
      onsetMs,
      endMs,
    };
    if (typeof o.partner === 'string') label.partner = o.partner;
    if (typeof o.topic === 'string') label.topic = o.topic;
    return { label };
  }
  const publishedAtMs = Date.parse(String(o.published_at));
  if (Number.isNaN(publishedAtMs) || typeof o.sentiment !== 'string' || typeof o.topic !== 'string')
    return { error: `line ${n}: an item needs published_at, sentiment and topic` };
  const entities = Array.isArray(o.entities)
    ? o.entities.flatMap((e: { ticker?: unknown; sentiment?: unknown }) =>
        typeof e?.ticker === 'string' ? [{ ticker: e.ticker, negative: e.sentiment === 'negative' }] : [],
      )
    : undefined;
  const item: BacktestItem = {
    id: String(o.id ?? `line-${n}`),
    title: String(o.title ?? ''),
    url: typeof o.url === 'string' ? o.url : null,
    publishedAtMs,
    negative: o.sentiment === 'negative',
    topic: o.topic,
    tickers: Array.isArray(o.tickers) ? o.tickers.map(String) : [],
    novelty: typeof o.novelty === 'number' ? o.novelty : 1,
  };
  if (entities) item.entities = entities;
  return { item };
}

export function* formatStream(s: Pick<GeneratedStream, 'items' | 'labels'>): Generator<string> {
  for (const l of s.labels) {
    const { partner, topic } = l;
    yield JSON.stringify({
      label: l.kind,
      scope: l.scope,
      key: l.key,
      sigma: l.sigma,
      onset: new Date(l.onsetMs).toISOString(),
      end: new Date(l.endMs).toISOString(),
      partner,
      topic,
    });
  }
  for (const i of s.items) {
    yield JSON.stringify({
      id: i.id,
      title: i.title,
      url: i.url,
      published_at: new Date(i.publishedAtMs).toISOString(),
      sentiment: i.negative ? 'negative' : 'neutral',
      topic: i.topic,
      tickers: i.tickers,
      entities: i.entities?.map((e) => ({ ticker: e.ticker, sentiment: e.negative ? 'negative' : 'positive' })),
      novelty: i.novelty,
    });
  }
}
