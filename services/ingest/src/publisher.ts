/**
 * The one way items leave ingest: normalised, validated, de-duplicated (exactly by id, and as near
 * duplicates of recent headlines, which are published with `duplicate_of` and a low novelty),
 * published keyed by id (so every copy of an item lands on the same partition), rejects
 * dead-lettered with the reason.
 */
import {
  SCHEMA_VERSION,
  TOPIC_NAMES,
  deadLetterPayload,
  type BusProducer,
  type DeadLetter,
  type Logger,
  type RawItem,
} from '@finsent/shared';
import { normaliseEntry, type SourceEntry } from './item.js';
import type { SeenIds } from './dedup.js';
import type { IngestMetrics } from './metrics.js';
import { novelty, type NearDupIndex } from './near-dup.js';
import type { SeenLog } from './seen-store.js';
import type { TickerExtractor } from './tickers.js';

/** What became of one entry, in input order. */
export type EntryOutcome =
  | { status: 'published'; id: string }
  | { status: 'duplicate'; id: string }
  | { status: 'filtered'; id: string; lang: string }
  | { status: 'rejected'; reason: string };

export interface PublishSummary {
  published: number;
  duplicates: number;
  /** Left out by configuration (a language not in INGEST_LANGUAGES). */
  filtered: number;
  rejected: number;
  /** Of the published ones, how many near-duplicate an earlier item. */
  nearDuplicates: number;
  outcomes: EntryOutcome[];
}

/** What near-duplicate detection compares: the title, or the start of the text when there is none. */
export const headlineOf = (item: RawItem): string => item.title || item.text.slice(0, 300);

export class ItemPublisher {
  constructor(
    private readonly o: {
      producer: BusProducer;
      seen: SeenIds;
      tickers: TickerExtractor;
      metrics: IngestMetrics;
      logger: Logger;
      /** Without it every item is published with novelty 1. */
      nearDup?: NearDupIndex | undefined;
      /** Where published ids are persisted so a restart does not republish them. */
      seenLog?: SeenLog | undefined;
      /** Languages to publish; others are counted and left out. Undetermined (`und`) always passes. Unset: all. */
      languages?: ReadonlySet<string> | undefined;
    },
  ) {}

  /** Normalises and publishes entries, oldest first so partitions carry items in event-time order. */
  async publish(entries: SourceEntry[], now = new Date()): Promise<PublishSummary> {
    const summary: PublishSummary = {
      published: 0,
      duplicates: 0,
      filtered: 0,
      rejected: 0,
      nearDuplicates: 0,
      outcomes: [],
    };
    const fresh: RawItem[] = [];
    const inThisCall = new Set<string>();
    const migrated: Array<{ item: RawItem; linkId: string }> = [];
    const rejects: Array<{ entry: SourceEntry; reason: string }> = [];
    const normalised = entries.map((entry) => ({ entry, r: normaliseEntry(entry, this.o.tickers, now) }));
    // Entries sharing one link in this call: their link id was one item's before ids came from guids.
    const linkUses = new Map<string, number>();
    for (const { r } of normalised) if (r.ok && r.linkId) linkUses.set(r.linkId, (linkUses.get(r.linkId) ?? 0) + 1);
    for (const { entry, r } of normalised) {
      if (!r.ok) {
        rejects.push({ entry, reason: r.reason });
        summary.outcomes.push({ status: 'rejected', reason: r.reason });
        continue;
      }
      const lang = r.item.lang;
      if (this.o.languages && lang !== 'und' && !this.o.languages.has(lang)) {
        summary.filtered++;
        summary.outcomes.push({ status: 'filtered', id: r.item.id, lang });
        this.o.metrics.filtered.inc({ reason: 'language', lang });
        continue;
      }
      // Within this call too: a feed can list the same story twice. An entry whose own link was published
      // (under the link's id, before feed ids came from guids) is not published again under its new id.
      // The link id then stands for this entry alone: it is forgotten and the entry remembered by its own id, so a
      // feed that lists one entry at a time, all linking to one page, publishes its next entries.
      const seenByOwnId = this.o.seen.has(r.item.id) || inThisCall.has(r.item.id);
      const seenByLink =
        !seenByOwnId && r.linkId !== undefined && linkUses.get(r.linkId) === 1 && this.o.seen.has(r.linkId);
      if (seenByLink) migrated.push({ item: r.item, linkId: r.linkId! });
      if (seenByOwnId || seenByLink) {
        summary.duplicates++;
        summary.outcomes.push({ status: 'duplicate', id: r.item.id });
        this.o.metrics.duplicates.inc({ source_kind: r.item.source_kind });
        continue;
      }
      summary.outcomes.push({ status: 'published', id: r.item.id });
      inThisCall.add(r.item.id);
      fresh.push(r.item);
    }
    fresh.sort((a, b) => a.published_at.localeCompare(b.published_at));
    // Oldest first, so the earlier report of a story is the original and later ones point at it.
    for (const item of fresh) this.markNearDuplicate(item, now);
    await this.o.producer.send(
      TOPIC_NAMES.raw,
      fresh.map((item) => ({ key: item.id, value: JSON.stringify(item) })),
    );
    // Remembered only once Kafka acknowledged them: if the send fails, a retry publishes them again.
    for (const item of fresh) this.o.seen.add(item.id);
    for (const { item, linkId } of migrated) {
      this.o.seen.add(item.id);
      this.o.seen.forget(linkId);
    }
    // Only after the items are acknowledged: a crash in between republishes them (at-least-once), never loses them.
    const remembered = [...fresh, ...migrated.map((m) => m.item)];
    if (remembered.length > 0) {
      await this.o.seenLog?.record(
        remembered.map((item) => ({ id: item.id, headline: headlineOf(item) })),
        migrated.map((m) => m.linkId),
      );
    }
    for (const item of fresh) this.o.metrics.published.inc({ source_kind: item.source_kind });
    summary.published = fresh.length;
    summary.nearDuplicates = fresh.filter((item) => item.duplicate_of !== null).length;
    for (const { entry, reason } of rejects)
      await this.rejectPayload(entry.source, 'invalid_entry', reason, Buffer.from(JSON.stringify(entry)));
    summary.rejected = rejects.length;
    return summary;
  }

  private markNearDuplicate(item: RawItem, now: Date): void {
    if (!this.o.nearDup) return;
    const match = this.o.nearDup.checkAndAdd(item.id, headlineOf(item), now.getTime());
    if (!match) return;
    item.duplicate_of = match.duplicateOf;
    item.novelty = novelty(match);
    this.o.metrics.nearDuplicates.inc({ source_kind: item.source_kind });
  }

  /** Sends something ingest could not use (a broken feed body, an invalid entry) to the dead-letter topic. */
  async rejectPayload(source: string, reasonCode: string, reason: string, payload: Buffer): Promise<void> {
    this.o.metrics.rejected.inc({ stage: 'ingest', reason: reasonCode });
    this.o.logger.warn({ source, reason: reasonCode, detail: reason }, 'dead-lettering ingest input');
    const letter: DeadLetter = {
      schema_version: SCHEMA_VERSION,
      stage: 'ingest',
      reason_code: reasonCode,
      reason: `${source}: ${reason}`.slice(0, 2_000),
      source_topic: null,
      partition: null,
      offset: null,
      key: source,
      ...deadLetterPayload(payload),
      failed_at: new Date().toISOString(),
    };
    await this.o.producer.send(TOPIC_NAMES.deadLetter, [
      {
        key: source,
        value: JSON.stringify(letter),
        headers: { 'finsent-reason': reasonCode, 'finsent-stage': 'ingest' },
      },
    ]);
  }
}
