import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_NEAR_DUP,
  MAX_CANDIDATES,
  NearDupIndex,
  headlineFeatures,
  headlineSimilarity,
  jaccard,
  novelty,
} from './near-dup.js';

const PAIRS = parse(readFileSync(new URL('../../../test/fixtures/headline-pairs.csv', import.meta.url)), {
  columns: true,
}) as Array<{ a: string; b: string; label: 'dup' | 'distinct' }>;

function score(predict: (a: string, b: string) => boolean) {
  let tp = 0,
    fp = 0,
    fn = 0;
  for (const p of PAIRS) {
    const yes = predict(p.a, p.b);
    if (yes && p.label === 'dup') tp++;
    else if (yes) fp++;
    else if (p.label === 'dup') fn++;
  }
  return { precision: tp / (tp + fp), recall: tp / (tp + fn), tp, fp, fn };
}

describe('near-duplicate detection on the labelled headline pairs', () => {
  it('reaches the documented precision and recall through the MinHash/LSH index', () => {
    expect(PAIRS).toHaveLength(120);
    // The whole path: a fresh index per pair, `a` added first, then `b` looked up via LSH buckets.
    const detector = score((a, b) => {
      const index = new NearDupIndex(DEFAULT_NEAR_DUP);
      index.checkAndAdd('a'.repeat(32), a, 0);
      return index.checkAndAdd('b'.repeat(32), b, 1) !== null;
    });
    const jaccardOnly = score(
      (a, b) => jaccard(headlineFeatures(a).tokens, headlineFeatures(b).tokens) >= DEFAULT_NEAR_DUP.threshold,
    );
    console.log(
      `near-dup @ ${DEFAULT_NEAR_DUP.threshold}: precision ${detector.precision.toFixed(3)} recall ${detector.recall.toFixed(3)} (tp ${detector.tp}, fp ${detector.fp}, fn ${detector.fn}); Jaccard without guards: precision ${jaccardOnly.precision.toFixed(3)} recall ${jaccardOnly.recall.toFixed(3)}`,
    );
    expect(detector.precision).toBeGreaterThanOrEqual(0.95);
    expect(detector.recall).toBeGreaterThanOrEqual(0.95);
  });
});

describe('headline features and guards', () => {
  it('ignores wire prefixes, case, accents, U.S./US and number spellings', () => {
    expect(headlineSimilarity('UPDATE 2-Nestlé explores sale', 'NESTLE EXPLORES SALE')).toBe(1);
    expect(headlineSimilarity('Oil falls as U.S. stockpiles build', 'Oil falls as US stockpiles build')).toBe(1);
    expect(headlineSimilarity('Strong demand at two-year note auction', 'Strong demand at 2-year note auction')).toBe(
      1,
    );
  });

  it('says a flipped direction, different figures or another company is a different story', () => {
    expect(headlineSimilarity('Fed raises rates by 25 bps', 'Fed cuts rates by 25 bps')).toBe(0);
    expect(headlineSimilarity('Fed raises rates by 25 bps', 'Fed raises rates by 50 bps')).toBe(0);
    expect(
      headlineSimilarity('Nvidia shares jump 4% in premarket trading', 'AMD shares jump 4% in premarket trading'),
    ).toBe(0);
    expect(
      headlineSimilarity(
        'Copper falls as Chinese property data disappoint',
        'Copper falls as China property data disappoint',
      ),
    ).toBeGreaterThan(0.5);
  });
});

describe('NearDupIndex', () => {
  it('names the closest earlier item and its similarity; novelty is 1 - similarity', () => {
    const index = new NearDupIndex({ threshold: 0.5, capacity: 10, maxAgeMs: 60_000 });
    expect(index.checkAndAdd('1', 'Gold climbs toward record as real yields ease', 0)).toBeNull();
    expect(index.checkAndAdd('2', 'Tesla recalls vehicles over seat-belt sensor', 0)).toBeNull();
    const m = index.checkAndAdd('3', 'Gold climbs toward record high as real yields ease', 1);
    expect(m?.duplicateOf).toBe('1');
    expect(novelty(m)).toBeCloseTo(1 - m!.similarity, 3);
    expect(novelty(index.checkAndAdd('4', 'Gold climbs toward record as real yields ease', 2))).toBe(0);
    expect(novelty(null)).toBe(1);
  });

  it('forgets items beyond its capacity and its age limit', () => {
    const byCount = new NearDupIndex({ threshold: 0.5, capacity: 1, maxAgeMs: 60_000 });
    byCount.checkAndAdd('1', 'Deere cuts dividend to preserve cash', 0);
    byCount.checkAndAdd('2', 'Verizon to switch off 3G network by March', 0);
    expect(byCount.size).toBe(1);
    expect(byCount.checkAndAdd('3', 'Deere cuts its dividend to preserve cash', 0)).toBeNull();

    const byAge = new NearDupIndex({ threshold: 0.5, capacity: 10, maxAgeMs: 1_000 });
    byAge.checkAndAdd('1', 'Deere cuts dividend to preserve cash', 0);
    expect(byAge.checkAndAdd('2', 'Deere cuts its dividend to preserve cash', 5_000)).toBeNull();
    expect(byAge.size).toBe(1);
  });
});

describe('NearDupIndex.remember (restoring the index after a restart)', () => {
  it('matches a new reprint against a remembered headline and ages it out by its original time', () => {
    const hour = 3_600_000;
    const index = new NearDupIndex({ threshold: 0.5, capacity: 10, maxAgeMs: 2 * hour });
    const t0 = Date.UTC(2026, 10, 30, 9);
    index.remember('orig', 'Deere cuts dividend to preserve cash', t0);
    expect(index.checkAndAdd('reprint', 'UPDATE 2-Deere cuts dividend to preserve cash', t0 + hour)?.duplicateOf).toBe(
      'orig',
    );
    const late = new NearDupIndex({ threshold: 0.5, capacity: 10, maxAgeMs: 2 * hour });
    late.remember('orig', 'Deere cuts dividend to preserve cash', t0);
    expect(late.checkAndAdd('reprint', 'UPDATE 2-Deere cuts dividend to preserve cash', t0 + 3 * hour)).toBeNull();
  });
});

describe('work per headline is bounded', () => {
  it('a flood of near-identical headlines verifies at most MAX_CANDIDATES per check and still marks reprints', () => {
    const index = new NearDupIndex({ threshold: 0.5, capacity: 50_000, maxAgeMs: 3_600_000 });
    let marked = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      // One template, varied only in its last word: all share most LSH bands (the quadratic case).
      if (
        index.checkAndAdd(
          `id-${i}`,
          `Acme Corp shares rise as investors cheer quarterly results from the firm ${i % 7 === 0 ? 'today' : 'now'}`,
          1_000 + i,
        )
      )
        marked++;
    }
    expect(index.work.checks).toBe(n);
    expect(index.work.verified).toBeLessThanOrEqual(n * MAX_CANDIDATES);
    // Quadratic would be about n²/2 = 200 million verifications.
    expect(index.work.verified).toBeLessThan(n * MAX_CANDIDATES);
    expect(marked).toBe(n - 1);
  });
});
