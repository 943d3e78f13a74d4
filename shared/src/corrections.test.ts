import { describe, expect, it } from 'vitest';
import { buildCorrections, type StoredLabels } from './corrections.js';

const stored: StoredLabels = {
  sentiment: 'neutral',
  topic: 'Earnings',
  model_version: 'm1',
  names: ['JPMorgan Chase & Co.', 'Goldman Sachs'],
  tickers: ['JPM', 'GS'],
  sentiments: ['positive', 'negative'],
};
const req = { item_id: 'a'.repeat(32), by: 'ana' };
const NOW = new Date('2026-12-05T10:00:00Z');

describe('buildCorrections', () => {
  it('makes one correction per label, each with the label it replaces, the model version, who and when', () => {
    const r = buildCorrections(
      { ...req, sentiment: 'negative', entity: 'gs', entity_sentiment: 'neutral', note: 'why' },
      stored,
      NOW,
    );
    if (!('corrections' in r)) throw new Error(r.problem);
    expect(r.corrections.map(({ id: _id, ...c }) => c)).toEqual([
      {
        schema_version: 1,
        item_id: req.item_id,
        field: 'sentiment',
        entity: null,
        ticker: null,
        old_label: 'neutral',
        new_label: 'negative',
        model_version: 'm1',
        created_by: 'ana',
        created_at: NOW.toISOString(),
        note: 'why',
      },
      {
        schema_version: 1,
        item_id: req.item_id,
        field: 'entity_sentiment',
        entity: 'Goldman Sachs',
        ticker: 'GS',
        old_label: 'negative',
        new_label: 'neutral',
        model_version: 'm1',
        created_by: 'ana',
        created_at: NOW.toISOString(),
        note: 'why',
      },
    ]);
    expect(new Set(r.corrections.map((c) => c.id)).size).toBe(2);
  });

  it('says what is wrong: an entity the item does not name, a label the model already gave, a label that does not exist', () => {
    expect(buildCorrections({ ...req, entity: 'AAPL', entity_sentiment: 'negative' }, stored)).toEqual({
      problem: 'entity AAPL: the item names JPMorgan Chase & Co. (JPM), Goldman Sachs (GS)',
    });
    expect(buildCorrections({ ...req, topic: 'Earnings' }, stored)).toEqual({
      problem: 'the model already says Earnings for topic; nothing to correct',
    });
    expect(buildCorrections({ ...req, sentiment: 'bearish' }, stored)).toEqual({
      problem: expect.stringMatching(/^new_label: must be one of negative, positive, neutral/),
    });
    expect(buildCorrections(req, stored)).toEqual({ problem: expect.stringMatching(/^nothing to correct/) });
  });
});
