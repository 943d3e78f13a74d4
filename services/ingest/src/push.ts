/**
 * POST /ingest: other systems push items (a JSON array, or NDJSON) with a bearer token. Each item
 * is validated on its own; the answer says what became of each: `{accepted, duplicates, rejected:
 * [{index, error}]}`. Items that fail are also dead-lettered, like any bad ingest input.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerTokenMatches, readBoundedBody, type Logger, type RouteHandler } from '@finsent/shared';
import type { IngestMetrics } from './metrics.js';
import type { ItemPublisher } from './publisher.js';
import { parseEntryObject } from './sources/ndjson.js';

export type BodyFormat = 'json' | 'ndjson';

export function bodyFormat(contentType: string | undefined): BodyFormat | null {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl') return 'ndjson';
  return null;
}

/** Splits a body into items, or says why the body as a whole is unusable. Per-item problems come back as errors in place. */
export function splitBody(
  body: string,
  format: BodyFormat,
):
  | { ok: true; items: Array<{ raw: string } & ({ value: unknown } | { error: string })> }
  | { ok: false; error: string } {
  if (format === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (err) {
      return { ok: false, error: `body is not valid JSON: ${(err as Error).message}` };
    }
    if (!Array.isArray(parsed)) return { ok: false, error: 'a JSON body must be an array of items' };
    return { ok: true, items: parsed.map((value) => ({ value, raw: JSON.stringify(value) ?? '' })) };
  }
  const lines = body.split('\n').filter((l) => l.trim() !== '');
  return {
    ok: true,
    items: lines.map((line) => {
      try {
        return { value: JSON.parse(line) as unknown, raw: line };
      } catch (err) {
        return { error: `invalid JSON: ${(err as Error).message}`, raw: line };
      }
    }),
  };
}

export function pushHandler(o: {
  token: string;
  maxBodyBytes: number;
  publisher: ItemPublisher;
  metrics: IngestMetrics;
  logger: Logger;
}): RouteHandler {
  return async (req, res) => {
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      o.metrics.pushRequests.inc({ status: String(status) });
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    if (req.method !== 'POST') return reply(405, { error: 'method_not_allowed' }, { allow: 'POST' });
    if (!bearerTokenMatches(req.headers.authorization, o.token))
      return reply(401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer' });
    const format = bodyFormat(req.headers['content-type']);
    if (!format)
      return reply(415, { error: 'unsupported_media_type', accepted: ['application/json', 'application/x-ndjson'] });
    if (Number(req.headers['content-length'] ?? 0) > o.maxBodyBytes) return tooLarge(req, res, o);
    const body = await readBoundedBody(req, o.maxBodyBytes);
    if (!body) return tooLarge(req, res, o);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch {
      return reply(400, { error: 'bad_request', message: 'body is not valid UTF-8' });
    }
    const split = splitBody(text, format);
    if (!split.ok) return reply(400, { error: 'bad_request', message: split.error });

    const rejected: Array<{ index: number; error: string }> = [];
    const entries = [];
    const indexOf: number[] = [];
    for (const [index, item] of split.items.entries()) {
      const r =
        'error' in item
          ? { ok: false as const, reason: item.error }
          : parseEntryObject(item.value, { defaultSource: 'push', sourceKind: 'push' });
      if (r.ok) {
        entries.push(r.entry);
        indexOf.push(index);
      } else {
        rejected.push({ index, error: r.reason });
        await o.publisher.rejectPayload(
          'push',
          'invalid_push_item',
          `item ${index}: ${r.reason}`,
          Buffer.from(item.raw),
        );
      }
    }
    const summary = await o.publisher.publish(entries);
    summary.outcomes.forEach((outcome, i) => {
      if (outcome.status === 'rejected') rejected.push({ index: indexOf[i]!, error: outcome.reason });
    });
    rejected.sort((a, b) => a.index - b.index);
    o.logger.info(
      {
        items: split.items.length,
        accepted: summary.published,
        duplicates: summary.duplicates,
        filtered: summary.filtered,
        rejected: rejected.length,
      },
      'push request',
    );
    return reply(200, {
      accepted: summary.published,
      duplicates: summary.duplicates,
      filtered: summary.filtered,
      rejected,
    });
  };
}

/** 413, then the connection is closed so the rest of the upload is not read. */
function tooLarge(
  req: IncomingMessage,
  res: ServerResponse,
  o: { maxBodyBytes: number; metrics: IngestMetrics },
): void {
  o.metrics.pushRequests.inc({ status: '413' });
  res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
  res.end(JSON.stringify({ error: 'payload_too_large', max_bytes: o.maxBodyBytes }), () => req.destroy());
}
