/**
 * NDJSON replay files: one JSON object per line with `title` and/or `text`/`summary`, and
 * optionally `url`, `id`, `source`, `published_at`. Bad lines are reported with their number.
 */
import type { SourceEntry } from '../item.js';

export type LineResult = { ok: true; entry: SourceEntry } | { ok: false; line: number; reason: string };

export function parseReplayLine(line: string, lineNo: number, defaultSource: string): LineResult | null {
  if (line.trim() === '') return null;
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (err) {
    return { ok: false, line: lineNo, reason: `invalid JSON: ${(err as Error).message}` };
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return { ok: false, line: lineNo, reason: 'not a JSON object' };
  const o = obj as Record<string, unknown>;
  const str = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  const summary = str('summary') ?? str('text');
  if (!str('title') && !summary) return { ok: false, line: lineNo, reason: 'needs a "title" or "text" field' };
  return {
    ok: true,
    entry: {
      source: str('source') ?? defaultSource,
      sourceKind: 'replay',
      sourceId: str('id') ?? (str('url') ? undefined : `${defaultSource}:${lineNo}`),
      url: str('url'),
      title: str('title'),
      summary,
      publishedAt: str('published_at'),
    },
  };
}
