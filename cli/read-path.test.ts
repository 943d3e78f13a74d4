import { describe, expect, it } from 'vitest';
import { formatCsv, parseSince } from './read-path.js';

describe('parseSince', () => {
  it('reads a count and a unit into seconds', () => {
    expect([parseSince('90s'), parseSince('30m'), parseSince('1h'), parseSince('2d'), parseSince('1w')]).toEqual([
      90, 1_800, 3_600, 172_800, 604_800,
    ]);
  });
  it('refuses what is not a positive duration', () => {
    for (const bad of ['', '1', 'h', '0h', '-1h', '1.5h', '1y', 'soon']) expect(parseSince(bad), bad).toBeUndefined();
  });
});

describe('formatCsv', () => {
  it('quotes fields holding commas, quotes or new lines', () => {
    expect(formatCsv([{ a: 'x,y', b: 'say "hi"', c: 'l1\nl2', d: 3 }])).toBe(
      'a,b,c,d\n"x,y","say ""hi""","l1\nl2",3\n',
    );
  });
});
