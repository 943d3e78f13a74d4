/**
 * De-duplication across restarts: every published id is also written to a compacted Kafka topic
 * keyed by the id (compaction keeps one record per id, so the topic stays about as large as the
 * set of distinct ids), with the headline the near-duplicate index saw. At start the topic is read
 * to its end into SeenIds, most recent last, so the capacity bound keeps the newest ids; the
 * headlines rebuild the near-duplicate index, so a reprint of a story published before a restart
 * is still recognised as one.
 */
import { randomUUID } from 'node:crypto';
import {
  FinsentError,
  SERVICE_TOPIC_SPECS,
  sleep,
  type Bus,
  type BusProducer,
  type Logger,
  type TopicConfig,
} from '@finsent/shared';
import { SeenIds } from './dedup.js';

export const SEEN_TOPIC: TopicConfig = SERVICE_TOPIC_SPECS.ingestSeen;

export class SeenLog {
  constructor(private readonly producer: BusProducer) {}

  async record(items: Array<{ id: string; headline: string }>, forgotten: string[] = []): Promise<void> {
    await this.producer.send(SEEN_TOPIC.topic, [
      ...items.map(({ id, headline }) => ({ key: id, value: JSON.stringify({ headline }) })),
      // Compaction keeps each id's last record: a forgotten id stays forgotten after a restart.
      ...forgotten.map((id) => ({ key: id, value: JSON.stringify({ forgotten: true }) })),
    ]);
  }
}

export interface SeenHeadline {
  id: string;
  headline: string;
  /** When it was recorded (ms since epoch). */
  at: number;
}

/** The headline of a seen-topic record; null for records written before headlines were kept. */
function recordedHeadline(value: Buffer | null): string | null {
  try {
    const v = JSON.parse(value?.toString('utf8') ?? '') as { headline?: unknown };
    return typeof v?.headline === 'string' ? v.headline : null;
  } catch {
    return null;
  }
}

/** A record saying the id is forgotten (written by SeenLog.record). */
function isForgotten(value: Buffer | null): boolean {
  try {
    return (JSON.parse(value?.toString('utf8') ?? '') as { forgotten?: unknown })?.forgotten === true;
  } catch {
    return false;
  }
}

/**
 * Reads the seen-id topic to its end. Fails (rather than starting half-loaded) after `timeoutMs`.
 * Headlines recorded before `headlinesSince` are not kept: the topic holds every id ever seen, and
 * only the near-duplicate window's headlines are worth their memory.
 */
export async function loadSeenIds(
  bus: Bus,
  capacity: number,
  logger: Logger,
  opts: { headlinesSince?: number; timeoutMs?: number } = {},
): Promise<{ seen: SeenIds; loaded: number; headlines: SeenHeadline[] }> {
  const { headlinesSince = Infinity, timeoutMs = 60_000 } = opts;
  // A group of its own, never reused: this reader must start at the beginning every time.
  const groupId = `finsent-ingest-seen-load-${randomUUID()}`;
  const consumer = await bus.consumer({
    groupId,
    topics: [SEEN_TOPIC.topic],
    fromBeginning: true,
    maxBytesPerPartition: 4 << 20,
  });
  const records: Array<{ id: string; at: number; forgotten: boolean; headline: string | null }> = [];
  const started = Date.now();
  try {
    await consumer.run(async (batch) => {
      for (const m of batch) {
        if (m.key)
          records.push({
            id: m.key,
            at: m.timestamp,
            forgotten: isForgotten(m.value),
            headline: m.timestamp >= headlinesSince ? recordedHeadline(m.value) : null,
          });
      }
    });
    while ((await bus.lag(groupId, SEEN_TOPIC.topic)) > 0) {
      if (Date.now() - started > timeoutMs) {
        throw new FinsentError(
          'FINSENT_ERR_SEEN_LOAD',
          `could not read ${SEEN_TOPIC.topic} to its end within ${timeoutMs} ms`,
        );
      }
      await sleep(100);
    }
  } finally {
    await consumer.close();
  }
  // Partitions are read one batch after another, not in time order: oldest first from here on.
  records.sort((a, b) => a.at - b.at);
  const seen = new SeenIds(capacity);
  for (const r of records) {
    if (r.forgotten) seen.forget(r.id);
    else seen.firstSighting(r.id);
  }
  logger.info({ records: records.length, kept: seen.size, ms: Date.now() - started }, 'loaded seen item ids');
  const headlines = records.flatMap(({ id, at, headline, forgotten }) =>
    headline === null || forgotten ? [] : [{ id, at, headline }],
  );
  return { seen, loaded: seen.size, headlines };
}
