/**
 * Generic webhook delivery: the alert as a JSON body, signed with HMAC-SHA256 over
 * `<timestamp>.<body>` (headers X-Finsent-Timestamp and X-Finsent-Signature: sha256=<hex>) when a
 * secret is configured, and an Idempotency-Key equal to the alert id so a receiver can drop the
 * copy a retry or a redelivery sends. Retries with backoff on network errors, 5xx and 429
 * (honouring Retry-After); 4xx other than 408/429 is final.
 */
import { createHmac } from 'node:crypto';
import { FinsentError, errorMessage, retryUntilDone, type Alert, type Logger } from '@finsent/shared';

export interface DeliveryResult {
  state: 'delivered' | 'failed';
  attempts: number;
  error: string | null;
}

export interface Notifier {
  readonly name: string;
  deliver(alert: Alert, signal?: AbortSignal): Promise<DeliveryResult>;
}

export function signBody(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Seconds or HTTP-date in Retry-After → milliseconds (capped), or undefined. */
export function retryAfterMs(header: string | null, capMs = 120_000): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.min(capMs, Math.max(0, seconds * 1000));
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.min(capMs, Math.max(0, at - Date.now()));
}

class HttpStatusError extends FinsentError {
  constructor(
    status: number,
    readonly retryAfter: number | undefined,
    body: string,
  ) {
    super('FINSENT_ERR_WEBHOOK_HTTP', `HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`, { status });
  }
}

export interface HttpPostOptions {
  maxAttempts: number;
  timeoutMs: number;
  baseBackoffMs: number;
  logger: Logger;
}

/** POSTs `body` until accepted or the attempts run out; shared by the webhook and Slack notifiers. */
export async function postWithRetries(
  url: string,
  body: string,
  headers: (attempt: number) => Record<string, string>,
  o: HttpPostOptions,
  what: string,
  signal?: AbortSignal,
): Promise<DeliveryResult> {
  let attempts = 0;
  try {
    await retryUntilDone(
      async (attempt) => {
        attempts = attempt + 1;
        let res: Response;
        try {
          res = await fetch(url, {
            method: 'POST',
            body,
            headers: { 'content-type': 'application/json', ...headers(attempt) },
            signal: AbortSignal.timeout(o.timeoutMs),
          });
        } catch (err) {
          throw new FinsentError('FINSENT_ERR_WEBHOOK_UNREACHABLE', errorMessage(err), { cause: err });
        }
        const text = await res.text().catch(() => '');
        if (!res.ok) throw new HttpStatusError(res.status, retryAfterMs(res.headers.get('retry-after')), text);
      },
      {
        ...(signal ? { signal } : {}),
        maxAttempts: o.maxAttempts,
        baseMs: o.baseBackoffMs,
        maxMs: 60_000,
        delayFor: (err) => (err instanceof HttpStatusError ? err.retryAfter : undefined),
        // A final status (4xx other than 408/429) is not retried: retryUntilDone reads the code's retry hint.
        onRetry: (err, attempt, delayMs) => {
          o.logger.warn(
            { notifier: what, attempt: attempt + 1, retryInMs: delayMs, err: errorMessage(err) },
            'alert delivery failed; retrying',
          );
        },
      },
    );
    return { state: 'delivered', attempts, error: null };
  } catch (err) {
    o.logger.error({ notifier: what, attempts, err: errorMessage(err) }, 'alert delivery failed for good');
    return { state: 'failed', attempts, error: errorMessage(err) };
  }
}

export class WebhookNotifier implements Notifier {
  constructor(
    private readonly url: string,
    private readonly secret: string | undefined,
    private readonly o: HttpPostOptions,
    /** The receiver's name in logs and metrics. */
    readonly name = 'webhook',
  ) {}

  deliver(alert: Alert, signal?: AbortSignal): Promise<DeliveryResult> {
    const body = JSON.stringify(alert);
    return postWithRetries(
      this.url,
      body,
      () => {
        const timestamp = String(Math.floor(Date.now() / 1000));
        return {
          'idempotency-key': alert.id,
          'x-finsent-timestamp': timestamp,
          ...(this.secret ? { 'x-finsent-signature': signBody(this.secret, timestamp, body) } : {}),
        };
      },
      this.o,
      this.name,
      signal,
    );
  }
}
