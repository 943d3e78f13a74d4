/** The e2e test's feed: two calm hours of distinct stories, one two-company headline, then a negative burst. */
import type { FeedItem } from './rss.js';

// Calm news: every headline a different story (company × event), so ingest's near-duplicate
// detection does not discount them as reprints.
const COMPANIES = [
  'Acme Corp',
  'Globex',
  'Initech',
  'Umbrella Group',
  'Stark Industries',
  'Wayne Enterprises',
  'Hooli',
  'Soylent Corp',
  'Cyberdyne',
  'Tyrell Corp',
  'Massive Dynamic',
  'Pied Piper',
];
const EVENTS = [
  'reports quarterly revenue in line with analyst estimates',
  'names new chief financial officer effective next month',
  'shares edge higher after product launch event',
  'declares regular quarterly dividend of 25 cents',
  'to present at industry conference next week',
  'completes previously announced debt refinancing',
  'opens new data center in Ireland',
  'raises full-year sales outlook on strong demand',
  'signs supply agreement with European carmaker',
  'schedules third-quarter earnings call for October 28',
];
const CALM = COMPANIES.flatMap((c) => EVENTS.map((e) => `${c} ${e}`));
const NEGATIVE = [
  'Vandelay Bank shares plunge as depositors pull funds',
  'Vandelay Bank downgraded to junk on liquidity concerns',
  'Regional bank stocks tumble as Vandelay crisis deepens',
  'Vandelay Bank suspends dividend, warns of heavy losses',
  'Credit spreads blow out as bank contagion fears spread',
  'Vandelay Bank plunges 40% as regulators step in',
  'Bank shares sink to lowest level in a decade amid panic selling',
  'Investors flee bank stocks as deposit outflows accelerate',
];

// Two companies with opposite news in one headline: each ticker must get its own sentiment.
export const MIXED = {
  minute: 30,
  title: 'JPMorgan beats profit estimates as Goldman Sachs shares plunge on trading loss',
};

/** 60 calm minutes (2 items/min, mostly neutral/positive, one mixed headline), then a 10-minute negative burst. */
export function buildFeed(start: number): FeedItem[] {
  const items: FeedItem[] = [];
  let n = 0;
  for (let m = 0; m < 60; m++) {
    for (let k = 0; k < 2; k++) {
      const t = CALM[(m * 2 + k) % CALM.length]!;
      items.push({
        title: `${t} (${++n})`,
        link: `https://fixtures.example.com/calm/${n}`,
        description: `<p>${t}.</p>`,
        pubDate: new Date(start + m * 60_000 + k * 25_000),
      });
    }
  }
  items.push({
    title: MIXED.title,
    link: 'https://fixtures.example.com/mixed/1',
    description: `<p>${MIXED.title}.</p>`,
    pubDate: new Date(start + MIXED.minute * 60_000 + 40_000),
  });
  for (let m = 60; m < 70; m++) {
    for (let k = 0; k < 4; k++) {
      const t = NEGATIVE[(m * 4 + k) % NEGATIVE.length]!;
      items.push({
        title: `${t} (${++n})`,
        link: `https://fixtures.example.com/burst/${n}`,
        description: `<p>${t}.</p>`,
        pubDate: new Date(start + m * 60_000 + k * 13_000),
      });
    }
  }
  return items;
}
