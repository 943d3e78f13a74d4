/**
 * Items as JSON objects, as replay files (NDJSON) and the push endpoint carry them: `title` and/or
 * `text`/`summary`, and optionally `url`, `id`, `source`, `published_at`. Bad lines are reported
 * with their number.
 */
import type { SourceEntry } from '../item.js';

export type ObjectResult = { ok: true; entry: SourceEntry } | { ok: false; reason: string };
export type LineResult = { ok: true; entry: SourceEntry } | { ok: false; line: number; reason: string };

/**
 * One JSON value → an entry. `fallbackId` identifies an item that has neither `id` nor `url`;
 * without one such an item is rejected.
 */
export function parseEntryObject(
  obj: unknown,
  o: { defaultSource: string; sourceKind: SourceEntry['sourceKind']; fallbackId?: string },
): ObjectResult {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return { ok: false, reason: 'not a JSON object' };
  const rec = obj as Record<string, unknown>;
  const str = (k: string) => (typeof rec[k] === 'string' ? (rec[k] as string) : undefined);
  const summary = str('summary') ?? str('text');
  if (!str('title') && !summary) return { ok: false, reason: 'needs a "title" or "text" field' };
  const sourceId = str('id') ?? (str('url') ? undefined : o.fallbackId);
  if (!sourceId && !str('url')) return { ok: false, reason: 'needs an "id" or a "url" field' };
  return {
    ok: true,
    entry: {
      source: str('source') ?? o.defaultSource,
      sourceKind: o.sourceKind,
      sourceId,
      url: str('url'),
      title: str('title'),
      summary,
      publishedAt: str('published_at'),
    },
  };
}

export function parseReplayLine(line: string, lineNo: number, defaultSource: string): LineResult | null {
  if (line.trim() === '') return null;
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (err) {
    return { ok: false, line: lineNo, reason: `invalid JSON: ${(err as Error).message}` };
  }
  const r = parseEntryObject(obj, { defaultSource, sourceKind: 'replay', fallbackId: `${defaultSource}:${lineNo}` });
  return r.ok ? r : { ok: false, line: lineNo, reason: r.reason };
}
