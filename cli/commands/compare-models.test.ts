import { describe, expect, it } from 'vitest';
import { compareField, verdict } from './compare-models.js';

const cell = (live: string, candidate: string, n: number, corrected = 0, liveRight = 0, candidateRight = 0) => ({
  live,
  candidate,
  n,
  corrected,
  live_right: liveRight,
  candidate_right: candidateRight,
});

describe('compareField', () => {
  it("measures agreement, the shift of each label's share (largest first) and who was right on corrected items", () => {
    const c = compareField(
      [
        cell('negative', 'negative', 6, 2, 2, 2),
        cell('neutral', 'negative', 2, 1, 0, 1),
        cell('neutral', 'neutral', 2),
      ],
      ['negative', 'neutral', 'positive'],
    );
    expect(c.agreement).toBe(0.8);
    expect(c.shifts).toEqual([
      { label: 'negative', live: 0.6, candidate: 0.8, shift: 0.2 },
      { label: 'neutral', live: 0.4, candidate: 0.2, shift: -0.2 },
      { label: 'positive', live: 0, candidate: 0, shift: 0 },
    ]);
    expect([c.corrected, c.live_right, c.candidate_right]).toEqual([3, 2, 3]);
  });

  it('says which model the corrections favour, or that there are none', () => {
    const none = compareField([cell('a', 'a', 1)]);
    expect(verdict(none, none)).toMatch(/^no corrected item/);
    const s = compareField([cell('negative', 'neutral', 3, 3, 0, 2)]);
    expect(verdict(s, none)).toBe('on 3 corrected labels the candidate is right more often (live 0, candidate 2)');
  });
});
