/**
 * Corrections from the page: `POST /api/corrections` with `{item_id, sentiment? | topic? | entity + entity_sentiment,
 * note?}` and the analyst's name in `X-Finsent-Analyst`. They become the same records as `finsent correct` makes
 * (shared/src/corrections.ts) and go through Kafka to the store. The view's only write, and only feedback: no SQL.
 *
 * A web page on another site cannot send it: the custom header and the JSON body need a CORS preflight, which this
 * server never grants. Beyond loopback, a bearer token (LIVE_CORRECTIONS_TOKEN) is required as well.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import {
  STORED_LABELS_QUERY,
  bearerTokenMatches,
  buildCorrections,
  correctionsProducer,
  errorMessage,
  readBoundedBody,
  type Bus,
  type Logger,
  type StoredLabels,
} from '@finsent/shared';
import type { LiveMetrics } from './metrics.js';
import type { ClickHouseReader } from './reader.js';

const MAX_BODY_BYTES = 16 * 1024;

const RequestSchema = z.strictObject({
  item_id: z.string().regex(/^[0-9a-f]{32}$/, 'an item id is 32 lowercase hex characters'),
  sentiment: z.string().optional(),
  topic: z.string().optional(),
  entity: z.string().min(1).max(200).optional(),
  entity_sentiment: z.string().optional(),
  note: z.string().max(1_000).optional(),
});

export function correctionsHandler(o: {
  bus: Bus;
  reader: ClickHouseReader;
  token: string | undefined;
  metrics: LiveMetrics;
  logger: Logger;
}) {
  let producer: ReturnType<typeof correctionsProducer> | undefined;
  const answer = (res: ServerResponse, status: number, outcome: string, body: unknown) => {
    o.metrics.corrections.inc({ outcome });
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const analyst = String(req.headers['x-finsent-analyst'] ?? '').trim();
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '') || !analyst || analyst.length > 100) {
      return answer(res, 400, 'invalid', {
        error: 'invalid',
        message: 'send JSON with your name in the X-Finsent-Analyst header',
      });
    }
    if (o.token && !bearerTokenMatches(req.headers.authorization, o.token)) {
      return answer(res, 401, 'unauthorised', {
        error: 'unauthorised',
        message: 'corrections need the token of this view (LIVE_CORRECTIONS_TOKEN)',
      });
    }
    const body = await readBoundedBody(req, MAX_BODY_BYTES);
    let parsed;
    try {
      parsed = body === undefined ? undefined : RequestSchema.safeParse(JSON.parse(body.toString('utf8')));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      const message = parsed
        ? parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')
        : `a JSON object of at most ${MAX_BODY_BYTES} bytes`;
      return answer(res, 400, 'invalid', { error: 'invalid', message });
    }
    const r = parsed.data;
    let stored: StoredLabels | undefined;
    try {
      [stored] = await o.reader.read(async (client) =>
        (
          await client.query({ query: STORED_LABELS_QUERY, query_params: { id: r.item_id }, format: 'JSONEachRow' })
        ).json<StoredLabels>(),
      );
    } catch (err) {
      return answer(res, 503, 'unavailable', { error: 'clickhouse_unavailable', message: errorMessage(err) });
    }
    if (!stored) return answer(res, 404, 'unknown_item', { error: 'unknown_item', message: `no item ${r.item_id}` });
    const built = buildCorrections({ ...r, by: analyst }, stored);
    if ('problem' in built) return answer(res, 400, 'invalid', { error: 'invalid', message: built.problem });
    try {
      producer ??= correctionsProducer(o.bus);
      await (await producer).send(built.corrections);
    } catch (err) {
      producer = undefined;
      o.logger.warn({ err, item: r.item_id }, 'a correction from the live view could not be sent to Kafka');
      return answer(res, 503, 'unavailable', { error: 'kafka_unavailable', message: errorMessage(err) });
    }
    o.logger.info(
      { item: r.item_id, by: analyst, corrections: built.corrections.map((c) => c.id) },
      'correction from the live view',
    );
    return answer(res, 202, 'recorded', {
      corrections: built.corrections.map((c) => ({
        id: c.id,
        field: c.field,
        entity: c.entity,
        old_label: c.old_label,
        new_label: c.new_label,
      })),
    });
  };

  return {
    handle,
    close: async () => {
      const p = await producer?.catch(() => undefined);
      await p?.close();
      await o.bus.close();
    },
  };
}
