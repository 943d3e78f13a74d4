/**
 * A local webhook receiver: verifies the HMAC signature (when given the secret), drops
 * redeliveries by Idempotency-Key, and hands each new alert to `onAlert`. `finsent start` uses it
 * to print alerts; tests use it as the far end of the alert service.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { AlertSchema, type Alert } from '@finsent/shared';
import { signBody } from '@finsent/alert';

export interface WebhookSink {
  url: string;
  received: Alert[];
  /** Every POST, including rejected and duplicate ones. */
  requests: number;
  /** Valid, correctly signed redeliveries of an alert already received (dropped by Idempotency-Key). */
  duplicates: number;
  close(): Promise<void>;
}

/** An injected failure for fault tests: answer with this status (and headers) instead of accepting. */
export type SinkFault = { status: number; headers?: Record<string, string> } | undefined;

export async function startWebhookSink(
  opts: { secret?: string | undefined; onAlert?: (a: Alert) => void; port?: number; fault?: () => SinkFault } = {},
): Promise<WebhookSink> {
  const received: Alert[] = [];
  const seen = new Set<string>();
  const sink: WebhookSink = { url: '', received, requests: 0, duplicates: 0, close: async () => undefined };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      sink.requests++;
      const fault = opts.fault?.();
      if (fault) {
        res.writeHead(fault.status, fault.headers).end('injected failure');
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      if (opts.secret) {
        const ts = String(req.headers['x-finsent-timestamp'] ?? '');
        const expected = Buffer.from(signBody(opts.secret, ts, body));
        const got = Buffer.from(String(req.headers['x-finsent-signature'] ?? ''));
        if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
          res.writeHead(401).end('bad signature');
          return;
        }
      }
      const parsed = AlertSchema.safeParse(
        (() => {
          try {
            return JSON.parse(body);
          } catch {
            return null;
          }
        })(),
      );
      if (!parsed.success) {
        res.writeHead(400).end('not an alert');
        return;
      }
      const key = String(req.headers['idempotency-key'] ?? parsed.data.id);
      if (!seen.has(key)) {
        seen.add(key);
        received.push(parsed.data);
        opts.onAlert?.(parsed.data);
      } else {
        sink.duplicates++;
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  sink.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
  sink.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return sink;
}
