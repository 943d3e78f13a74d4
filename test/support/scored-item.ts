/** A valid scored item for integration tests, negative or calm, with one topic and any tickers. */
import { TOPICS, type ScoredItem } from '@finsent/shared';

export function scoredItem(o: {
  id: string;
  at: string;
  negative: boolean;
  title: string;
  topic: ScoredItem['topic'];
  tickers?: string[];
}): ScoredItem {
  return {
    schema_version: 1,
    id: o.id,
    source: 'test',
    source_kind: 'replay',
    url: `https://x.example.com/${o.id}`,
    title: o.title,
    text: 'x',
    truncated: false,
    lang: 'en',
    published_at: o.at,
    fetched_at: o.at,
    tickers: o.tickers ?? [],
    duplicate_of: null,
    novelty: 1,
    entities: [],
    sentiment: o.negative ? 'negative' : 'neutral',
    sentiment_scores: { negative: o.negative ? 0.9 : 0.05, neutral: o.negative ? 0.05 : 0.9, positive: 0.05 },
    topic: o.topic,
    topic_scores: Object.fromEntries(TOPICS.map((t) => [t, t === o.topic ? 1 : 0])) as ScoredItem['topic_scores'],
    model_version: 'test',
    scored_at: o.at,
  };
}
