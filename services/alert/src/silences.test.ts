import { describe, expect, it } from 'vitest';
import { SilenceBook, SilenceSchema, mutes, newSilence, silenceNote } from './silences.js';

const NOW = Date.parse('2026-12-05T10:00:00Z');
const silence = (o: Partial<Parameters<typeof newSilence>[0]> = {}) =>
  newSilence({
    scope: 'ticker',
    key: 'HRBL',
    endsAt: new Date(NOW + 3_600_000),
    reason: 'known event',
    by: 'ana',
    now: new Date(NOW - 60_000),
    ...o,
  });

describe('silences', () => {
  it('mute a matching key in their scope from when they are set until they end', () => {
    const s = silence();
    expect(mutes(s, { scope: 'ticker', key: 'HRBL' }, NOW)).toBe(true);
    expect(mutes(s, { scope: 'topic', key: 'HRBL' }, NOW)).toBe(false);
    expect(mutes(s, { scope: 'ticker', key: 'HRBLX' }, NOW)).toBe(false);
    expect(mutes(s, { scope: 'ticker', key: 'HRBL' }, NOW + 3_600_000)).toBe(false);
    expect(mutes(s, { scope: 'ticker', key: 'HRBL' }, NOW - 120_000)).toBe(false);
    expect(mutes(silence({ scope: null, key: 'Fed*' }), { scope: 'topic', key: 'Fed | Central Banks' }, NOW)).toBe(
      true,
    );
  });

  it('keep the newest record of each silence: a removal lifts it', () => {
    const book = new SilenceBook();
    const s = silence();
    book.apply(s);
    expect(book.muting({ scope: 'ticker', key: 'HRBL' }, NOW)?.id).toBe(s.id);
    book.apply({ ...s, removed_at: new Date(NOW).toISOString(), removed_by: 'bo' });
    expect(book.muting({ scope: 'ticker', key: 'HRBL' }, NOW)).toBeUndefined();
    expect(book.all()).toHaveLength(1);
  });

  it('say in the recorded alert which silence muted it, who set it and why', () => {
    const s = silence();
    expect(silenceNote(s)).toBe(`silenced by ${s.id} (ana, until ${s.ends_at}): known event`);
  });

  it('refuse a record that is not a silence', () => {
    expect(SilenceSchema.safeParse({ ...silence(), reason: '' }).success).toBe(false);
    expect(SilenceSchema.safeParse({ ...silence(), id: '../etc' }).success).toBe(false);
    expect(() => silence({ endsAt: new Date('nope') })).toThrow();
  });
});
