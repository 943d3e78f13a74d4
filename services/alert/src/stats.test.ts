import { describe, expect, it } from 'vitest';
import { binomialUpperTail, normalUpperTail } from './stats.js';

describe('stats', () => {
  it('normal upper tail matches tabulated values', () => {
    expect(normalUpperTail(0)).toBeCloseTo(0.5, 6);
    expect(normalUpperTail(1.96)).toBeCloseTo(0.025, 4);
    expect(normalUpperTail(3)).toBeCloseTo(0.00135, 5);
    expect(normalUpperTail(-1)).toBeCloseTo(0.8413, 4);
  });

  it('binomial upper tail matches direct summation', () => {
    // P(X >= 8 | n=15, p=0.2) = 0.004240 (scipy.stats.binom.sf(7, 15, 0.2))
    expect(binomialUpperTail(8, 15, 0.2)).toBeCloseTo(0.00424, 5);
    expect(binomialUpperTail(0, 10, 0.3)).toBe(1);
    expect(binomialUpperTail(11, 10, 0.3)).toBe(0);
    expect(binomialUpperTail(10, 10, 0.5)).toBeCloseTo(1 / 1024, 8);
  });
});
