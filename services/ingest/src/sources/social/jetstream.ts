/**
 * Bluesky via Jetstream: one WebSocket carrying every new post on the network as JSON. Only posts
 * that mention a cashtag or one of the configured keywords are kept; they are published in small
 * batches. A dropped connection is re-opened with backoff from the `time_us` cursor of the last
 * message received, so nothing in between is missed (Jetstream replays from a cursor).
 */
import WebSocket from 'ws';
import { z } from 'zod';
import { backoffDelay, describeZodError, errorMessage, type Logger } from '@finsent/shared';
import type { SourceEntry } from '../../item.js';
import type { IngestMetrics } from '../../metrics.js';
import type { ItemPublisher } from '../../publisher.js';

export const JETSTREAM_SOURCE = 'bluesky:jetstream';
const POST_COLLECTION = 'app.bsky.feed.post';

/** True for text that mentions a cashtag ($AAPL, $BRK.B) or a keyword as a whole word, any case. */
export function postMatcher(keywords: readonly string[]): (text: string) => boolean {
  const escaped = keywords
    .map((k) =>
      k
        .trim()
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        .replace(/\s+/g, '\\s+'),
    )
    .filter(Boolean);
  const alternatives = ['\\$[A-Za-z][A-Za-z0-9]{0,5}(?:\\.[A-Za-z]{1,2})?', ...escaped];
  const re = new RegExp(`(?<![\\p{L}\\p{N}_$])(?:${alternatives.join('|')})(?![\\p{L}\\p{N}_])`, 'iu');
  return (text) => re.test(text);
}

const EventSchema = z.object({ did: z.string(), time_us: z.number().int(), kind: z.string() });
const PostCommitSchema = z.object({
  did: z.string().startsWith('did:'),
  time_us: z.number().int(),
  commit: z.object({
    rkey: z.string().regex(/^[A-Za-z0-9._:~-]{1,512}$/, 'invalid record key'),
    record: z.object({ text: z.string(), createdAt: z.string(), langs: z.array(z.string()).optional() }),
  }),
});

export type JetstreamMessage =
  | { outcome: 'matched'; timeUs: number; entry: SourceEntry }
  | { outcome: 'unmatched' | 'ignored'; timeUs: number }
  | { outcome: 'malformed'; timeUs?: number | undefined; reason: string };

/** Classifies one Jetstream message; `matches` decides which new posts are kept. */
export function parseJetstreamMessage(data: string, matches: (text: string) => boolean): JetstreamMessage {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch (err) {
    return { outcome: 'malformed', reason: `invalid JSON: ${errorMessage(err)}` };
  }
  const event = EventSchema.safeParse(json);
  if (!event.success)
    return { outcome: 'malformed', reason: `not a Jetstream event: ${describeZodError(event.error)}` };
  const timeUs = event.data.time_us;
  const commit = (json as { commit?: { operation?: unknown; collection?: unknown } }).commit;
  // Identity and account events, deletes, updates and other collections carry no new post.
  if (event.data.kind !== 'commit' || commit?.operation !== 'create' || commit.collection !== POST_COLLECTION)
    return { outcome: 'ignored', timeUs };
  const post = PostCommitSchema.safeParse(json);
  if (!post.success)
    return { outcome: 'malformed', timeUs, reason: `malformed Bluesky post: ${describeZodError(post.error)}` };
  const { did, commit: c } = post.data;
  if (!matches(c.record.text)) return { outcome: 'unmatched', timeUs };
  const entry: SourceEntry = {
    source: JETSTREAM_SOURCE,
    sourceKind: 'social',
    sourceId: `at://${did}/${POST_COLLECTION}/${c.rkey}`,
    url: `https://bsky.app/profile/${did}/post/${c.rkey}`,
    summary: c.record.text,
    publishedAt: c.record.createdAt,
  };
  if (c.record.langs?.[0]) entry.lang = c.record.langs[0];
  return { outcome: 'matched', timeUs, entry };
}

export function subscribeUrl(base: string, cursor: number | undefined): string {
  const u = new URL('/subscribe', base);
  u.searchParams.set('wantedCollections', POST_COLLECTION);
  if (cursor !== undefined) u.searchParams.set('cursor', String(cursor));
  return u.toString();
}

export interface JetstreamOptions {
  url: string;
  keywords: readonly string[];
  /** Matched posts are published at least this often. */
  flushMs: number;
  /** Matched posts buffered before the socket is paused until they are published. */
  maxBuffered: number;
  /** A connection silent for this long is presumed dead and re-opened. */
  idleTimeoutMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  publisher: ItemPublisher;
  metrics: IngestMetrics;
  logger: Logger;
}

export class JetstreamSource {
  readonly source = JETSTREAM_SOURCE;
  private readonly matches: (text: string) => boolean;
  private ws: WebSocket | undefined;
  private buffer: SourceEntry[] = [];
  private rejects: Array<{ reason: string; payload: string }> = [];
  private cursor: number | undefined;
  private failures = 0;
  private lastMessageAt = 0;
  private flushing: Promise<void> = Promise.resolve();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly o: JetstreamOptions) {
    this.matches = postMatcher(o.keywords);
  }

  /** `time_us` of the last message received: where a reconnect resumes. */
  get lastCursor(): number | undefined {
    return this.cursor;
  }

  start(): void {
    this.connect();
    this.every(this.o.flushMs, () => void this.flush());
    this.every(Math.max(100, Math.min(this.o.idleTimeoutMs / 4, 5_000)), () => {
      if (this.ws?.readyState === WebSocket.OPEN && Date.now() - this.lastMessageAt > this.o.idleTimeoutMs) {
        this.o.logger.warn(
          { source: this.source, idleMs: Date.now() - this.lastMessageAt },
          'jetstream silent; reconnecting',
        );
        this.ws.terminate();
      }
    });
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    this.timers.add(t);
  }

  private connect(): void {
    if (this.stopped) return;
    const url = subscribeUrl(this.o.url, this.cursor);
    const ws = new WebSocket(url, { headers: { 'user-agent': 'finsent-ingest/0.1 (+https://github.com/finsent)' } });
    this.ws = ws;
    let received = false;
    ws.on('open', () => {
      this.lastMessageAt = Date.now();
      this.o.metrics.socialPolls.inc({ source: this.source, outcome: 'connected' });
      this.o.logger.info({ source: this.source, cursor: this.cursor }, 'jetstream connected');
    });
    ws.on('message', (data: Buffer) => {
      received = true;
      this.onMessage(data.toString('utf8'));
    });
    ws.on('error', (err) => {
      this.o.logger.warn({ source: this.source, err: errorMessage(err) }, 'jetstream connection error');
    });
    ws.on('close', (code) => {
      if (this.stopped) return;
      // A connection that delivered nothing (refused, or closed at once) is a failure: backoff grows
      // until one delivers; one that did is just re-opened after the base delay.
      if (!received) this.failures++;
      this.o.metrics.socialPolls.inc({ source: this.source, outcome: 'error' });
      this.o.metrics.socialConsecutiveFailures.set({ source: this.source }, this.failures);
      const delay = backoffDelay(this.failures, this.o.backoffBaseMs, this.o.backoffMaxMs);
      this.o.logger.warn(
        { source: this.source, code, consecutiveFailures: this.failures, delayMs: delay, cursor: this.cursor },
        'jetstream closed; reconnecting',
      );
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.connect();
      }, delay);
      this.timers.add(t);
    });
  }

  private onMessage(data: string): void {
    this.lastMessageAt = Date.now();
    if (this.failures) {
      this.failures = 0;
      this.o.metrics.socialConsecutiveFailures.set({ source: this.source }, 0);
    }
    const m = parseJetstreamMessage(data, this.matches);
    this.o.metrics.socialStreamMessages.inc({ source: this.source, outcome: m.outcome });
    if (m.timeUs !== undefined) this.cursor = m.timeUs;
    if (m.outcome === 'matched') this.buffer.push(m.entry);
    if (m.outcome === 'malformed') this.rejects.push({ reason: m.reason, payload: data });
    if (this.buffer.length >= this.o.maxBuffered) {
      this.ws?.pause();
      void this.flush();
    }
  }

  /** Publishes what is buffered; one flush at a time, never throws (a failed batch is retried). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const entries = this.buffer;
      const rejects = this.rejects;
      if (entries.length === 0 && rejects.length === 0) return;
      this.buffer = [];
      this.rejects = [];
      try {
        await this.o.publisher.publish(entries);
        this.o.metrics.socialItems.inc({ source: this.source }, entries.length);
        this.o.metrics.socialLastSuccess.set({ source: this.source }, Date.now() / 1000);
        for (const r of rejects)
          await this.o.publisher.rejectPayload(this.source, 'invalid_social_post', r.reason, Buffer.from(r.payload));
      } catch (err) {
        // Kafka unavailable: keep the posts for the next flush rather than lose them.
        this.buffer = [...entries, ...this.buffer];
        this.rejects = [...rejects, ...this.rejects];
        this.o.logger.warn(
          { source: this.source, err: errorMessage(err), buffered: this.buffer.length },
          'publishing jetstream posts failed; will retry',
        );
      } finally {
        if (this.buffer.length < this.o.maxBuffered) this.ws?.resume();
      }
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t); // clears the intervals too
    this.ws?.close(1000);
    await this.flush();
  }
}
