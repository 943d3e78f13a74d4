/**
 * Bounded HTTP GET for feeds: timeout, maximum body size (the download is aborted, not buffered,
 * past it), a redirect limit, and conditional requests (ETag / Last-Modified) so an unchanged
 * feed costs a 304.
 */
import { fetch as undiciFetch, type Agent } from 'undici';
import { FinsentError } from '@finsent/shared';
import { checkFeedUrl, guardedAgent } from './feed-targets.js';

export interface FetchLimits {
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  userAgent: string;
  /** Hosts (names or IP literals, lower case) a feed may reach although they are loopback or private. Default none. */
  allowPrivateHosts?: ReadonlySet<string>;
}

const NO_HOSTS: ReadonlySet<string> = new Set();
/** One guarded agent per allow-list (a poller keeps its limits for its life: one agent, pooled connections). */
const agents = new WeakMap<ReadonlySet<string>, Agent>();
const agentFor = (allowed: ReadonlySet<string>): Agent => {
  let agent = agents.get(allowed);
  if (!agent) agents.set(allowed, (agent = guardedAgent(allowed)));
  return agent;
};

export interface Validators {
  etag?: string | undefined;
  lastModified?: string | undefined;
}

export type FetchResult =
  | { status: 'not_modified'; url: string }
  | { status: 'ok'; url: string; body: Buffer; contentType: string; validators: Validators };

/**
 * The response body, refused with `tooLargeCode` as soon as it passes `maxBytes` (a missing or lying
 * Content-Length cannot make us buffer more).
 */
export async function readBodyBounded(
  res: { body: (AsyncIterable<Uint8Array> & { cancel(): Promise<void> }) | null },
  url: string,
  maxBytes: number,
  tooLargeCode: 'FINSENT_ERR_FEED_TOO_LARGE' | 'FINSENT_ERR_SOCIAL_TOO_LARGE',
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += (chunk as Uint8Array).byteLength;
    if (size > maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw new FinsentError(tooLargeCode, `${url}: body exceeds the ${maxBytes}-byte limit`);
    }
    chunks.push(Buffer.from(chunk as Uint8Array));
  }
  return Buffer.concat(chunks);
}

export async function fetchBounded(
  url: string,
  limits: FetchLimits,
  validators: Validators = {},
): Promise<FetchResult> {
  let current = url;
  const allowed = limits.allowPrivateHosts ?? NO_HOSTS;
  for (let hop = 0; ; hop++) {
    checkFeedUrl(new URL(current), allowed);
    const headers: Record<string, string> = {
      'user-agent': limits.userAgent,
      accept:
        'application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1',
    };
    if (validators.etag) headers['if-none-match'] = validators.etag;
    if (validators.lastModified) headers['if-modified-since'] = validators.lastModified;
    let res: Awaited<ReturnType<typeof undiciFetch>>;
    try {
      res = await undiciFetch(current, {
        headers,
        redirect: 'manual',
        signal: AbortSignal.timeout(limits.timeoutMs),
        dispatcher: agentFor(allowed),
      });
    } catch (err) {
      const refused = (err as { cause?: unknown }).cause;
      if (refused instanceof FinsentError) throw refused;
      const timedOut = (err as Error).name === 'TimeoutError';
      throw new FinsentError(
        timedOut ? 'FINSENT_ERR_FEED_TIMEOUT' : 'FINSENT_ERR_FEED_UNREACHABLE',
        `${current}: ${timedOut ? `no answer within ${limits.timeoutMs} ms` : (err as Error).message}`,
        { cause: err },
      );
    }
    if (res.status >= 300 && res.status < 400 && res.status !== 304) {
      const location = res.headers.get('location');
      await res.body?.cancel();
      if (!location)
        throw new FinsentError('FINSENT_ERR_FEED_HTTP', `${current}: redirect ${res.status} without Location`, {
          status: res.status,
        });
      if (hop + 1 > limits.maxRedirects)
        throw new FinsentError('FINSENT_ERR_FEED_REDIRECTS', `${url}: more than ${limits.maxRedirects} redirects`);
      current = new URL(location, current).toString();
      continue;
    }
    if (res.status === 304) {
      await res.body?.cancel();
      return { status: 'not_modified', url: current };
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new FinsentError('FINSENT_ERR_FEED_HTTP', `${current}: HTTP ${res.status}`, { status: res.status });
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > limits.maxBytes) {
      await res.body?.cancel();
      throw new FinsentError(
        'FINSENT_ERR_FEED_TOO_LARGE',
        `${current}: body of ${declared} bytes exceeds the ${limits.maxBytes}-byte limit`,
      );
    }
    return {
      status: 'ok',
      url: current,
      body: await readBodyBounded(res, current, limits.maxBytes, 'FINSENT_ERR_FEED_TOO_LARGE'),
      contentType: res.headers.get('content-type') ?? '',
      validators: {
        etag: res.headers.get('etag') ?? undefined,
        lastModified: res.headers.get('last-modified') ?? undefined,
      },
    };
  }
}
