/**
 * Label sets of the classifier contract. The topic strings are the exact lines of
 * twitter-financial-news `topics.txt` (MIT, see shared/THIRD_PARTY_NOTICES.md), label 0 first.
 * The model directory's `labels.json` must match these or the classifier refuses to start.
 */
export const SENTIMENTS = ['negative', 'positive', 'neutral'] as const;
export type Sentiment = (typeof SENTIMENTS)[number];

export const TOPICS = [
  'Analyst Update',
  'Fed | Central Banks',
  'Company | Product News',
  'Treasuries | Corporate Debt',
  'Dividend',
  'Earnings',
  'Energy | Oil',
  'Financials',
  'Currencies',
  'General News | Opinion',
  'Gold | Metals | Materials',
  'IPO',
  'Legal | Regulation',
  'M&A | Investments',
  'Macro',
  'Markets',
  'Politics',
  'Personnel Change',
  'Stock Commentary',
  'Stock Movement',
] as const;
export type Topic = (typeof TOPICS)[number];
