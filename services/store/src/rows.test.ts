import { describe, expect, it } from 'vitest';
import { monthOf, splitByPartition, toClickHouseTime } from './rows.js';

describe('splitByPartition', () => {
  const row = (id: number, month: number) => ({
    id,
    published_at: toClickHouseTime(new Date(Date.UTC(2000, month, 1)).toISOString()),
  });

  it('keeps a batch within the limit whole and in order', () => {
    const rows = [row(1, 0), row(2, 5), row(3, 0)];
    expect(splitByPartition(rows, monthOf('published_at'), 2)).toEqual([rows]);
    expect(splitByPartition([], monthOf('published_at'), 2)).toEqual([]);
  });

  it('splits a batch over the limit into chunks of at most that many months, losing no row', () => {
    // 150 months, two rows each, interleaved: the shape of a ten-year backfill.
    const rows = [
      ...Array.from({ length: 150 }, (_, m) => row(m, m)),
      ...Array.from({ length: 150 }, (_, m) => row(1000 + m, m)),
    ];
    const chunks = splitByPartition(rows, monthOf('published_at'), 100);
    expect(chunks).toHaveLength(2);
    for (const chunk of chunks) expect(new Set(chunk.map(monthOf('published_at'))).size).toBeLessThanOrEqual(100);
    expect(
      chunks
        .flat()
        .map((r) => r.id)
        .sort((a, b) => a - b),
    ).toEqual(rows.map((r) => r.id).sort((a, b) => a - b));
    // A month's rows stay together, in their original order.
    const january2000 = chunks
      .find((c) => c.some((r) => r.id === 0))!
      .filter((r) => monthOf('published_at')(r) === '2000-01');
    expect(january2000.map((r) => r.id)).toEqual([0, 1000]);
  });
});
