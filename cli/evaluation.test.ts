import { describe, expect, it } from 'vitest';
import { evaluate, formatConfusion } from './evaluation.js';

describe('evaluate', () => {
  it('computes accuracy, per-class P/R/F1, macro-F1 and the confusion matrix', () => {
    const labels = ['neg', 'pos', 'neu'] as const;
    const truth = ['neg', 'neg', 'pos', 'pos', 'neu', 'neu', 'neu', 'neu'];
    const pred = ['neg', 'neu', 'pos', 'neg', 'neu', 'neu', 'neu', 'pos'];
    const r = evaluate(labels, truth, pred);
    expect(r.accuracy).toBeCloseTo(5 / 8, 10);
    expect(r.confusion).toEqual([
      [1, 0, 1],
      [1, 1, 0],
      [0, 1, 3],
    ]);
    // neg: P = 1/2, R = 1/2; pos: P = 1/2, R = 1/2; neu: P = 3/4, R = 3/4 (checked with scikit-learn).
    expect(r.per_class.neg!.f1).toBeCloseTo(0.5, 10);
    expect(r.per_class.neu!.precision).toBeCloseTo(0.75, 10);
    expect(r.macro_f1).toBeCloseTo((0.5 + 0.5 + 0.75) / 3, 10);
    expect(formatConfusion(r).split('\n')).toHaveLength(4);
  });

  it('leaves classes absent from the truth out of macro-F1 and rejects unknown labels', () => {
    const r = evaluate(['a', 'b', 'c'], ['a', 'a'], ['a', 'b']);
    expect(r.macro_f1).toBeCloseTo(2 / 3, 10); // only class a: P = 1, R = 1/2
    expect(() => evaluate(['a'], ['a'], ['z'])).toThrow(/unknown label z/);
  });
});
