import { describe, expect, it } from 'vitest';
import { trainingLines } from './export-training.js';

const item = {
  item_id: 'a'.repeat(32),
  entity: '',
  corrected_by: 'ana',
  model_version: 'm1',
  text: 'JPMorgan beats as Goldman slumps',
  names: ['JPMorgan', 'Goldman'],
  starts: [0, 18],
  ends: [8, 25],
};

describe('trainingLines', () => {
  it('gives one line per item with each corrected label, entities with their offsets, the rest null', () => {
    const { lines, expired } = trainingLines([
      { ...item, field: 'entity_sentiment', entity: 'Goldman', label: 'negative' },
      { ...item, field: 'sentiment', label: 'neutral', corrected_by: 'bo' },
    ]);
    expect(expired).toBe(0);
    expect(lines).toEqual([
      {
        id: `correction-${'a'.repeat(32)}`,
        text: item.text,
        sentiment: 'neutral',
        topic: null,
        entities: [{ name: 'Goldman', sentiment: 'negative', start: 18, end: 25 }],
        source: 'correction',
        model_version: 'm1',
        corrected_by: ['ana', 'bo'],
      },
    ]);
  });

  it('leaves out items whose text has expired, and counts them', () => {
    const { lines, expired } = trainingLines([
      { ...item, text: '', field: 'topic', label: 'Earnings' },
      { ...item, item_id: 'b'.repeat(32), field: 'topic', label: 'Earnings' },
    ]);
    expect(expired).toBe(1);
    expect(lines.map((l) => [l.id, l.topic])).toEqual([[`correction-${'b'.repeat(32)}`, 'Earnings']]);
  });
});
