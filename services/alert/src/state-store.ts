/**
 * Detector state that survives a restart, on a compacted Kafka topic: one record per detector key
 * (baseline, alert state, minutes still in its window) and one `_meta` record (last evaluated
 * minute, the last scored offset folded in per partition, recently delivered alert ids and the
 * outbox of fired alerts not yet delivered). Compaction keeps the newest record per key, so
 * reading the topic from the start gives the state as last written.
 */
import { randomUUID } from 'node:crypto';
import type { Alert, Bus, BusProducer } from '@finsent/shared';
import type { DetectorSnapshot, KeySnapshot } from './detector.js';

export const STATE_TOPIC = 'finsent.alert-state.v1';
const META_KEY = '_meta';
/** How many delivered alert ids are remembered: far more than fire in one cooldown. */
export const DELIVERED_IDS_KEPT = 1_000;

export interface PersistedMeta {
  /** Per scored-topic partition: the last offset whose item is in the state. */
  offsets: Record<string, string>;
  delivered: string[];
  /** Fired but not yet delivered: delivered first thing after a restart. */
  pending: Alert[];
}

export interface PersistedState {
  snapshot: DetectorSnapshot;
  meta: PersistedMeta;
}

export const emptyMeta = (): PersistedMeta => ({ offsets: {}, delivered: [], pending: [] });

export async function ensureStateTopic(bus: Bus, topic = STATE_TOPIC): Promise<void> {
  // One record per detector key, but a key with many recent headlines can be large: allow 16 MiB.
  await bus.ensureTopics([{ topic, partitions: 3, cleanupPolicy: 'compact', maxMessageBytes: 16 * 1024 * 1024 }]);
}

export async function saveState(producer: BusProducer, topic: string, snapshot: DetectorSnapshot, meta: PersistedMeta): Promise<void> {
  await producer.send(topic, [
    ...snapshot.keys.map((k) => ({ key: `${k.scope}:${k.key}`, value: JSON.stringify(k) })),
    { key: META_KEY, value: JSON.stringify({ ...meta, closedMinute: snapshot.closedMinute }) },
  ]);
}

/** Reads the whole state topic with a throwaway consumer group, until its lag is zero. */
export async function loadState(bus: Bus, topic = STATE_TOPIC, timeoutMs = 60_000): Promise<PersistedState | null> {
  const groupId = `finsent-alert-restore-${randomUUID()}`;
  if ((await bus.lag(groupId, topic)) === 0) return null;
  const latest = new Map<string, string>();
  const consumer = await bus.consumer({ groupId, topics: [topic], fromBeginning: true, maxWaitTimeMs: 100 });
  try {
    await consumer.run(async (batch) => {
      for (const m of batch) if (m.key && m.value) latest.set(m.key, m.value.toString('utf8'));
    });
    const deadline = Date.now() + timeoutMs;
    while ((await bus.lag(groupId, topic)) > 0) {
      if (Date.now() > deadline) throw new Error(`reading ${topic} timed out`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await consumer.close();
  }
  const metaJson = latest.get(META_KEY);
  latest.delete(META_KEY);
  const meta = metaJson ? (JSON.parse(metaJson) as PersistedMeta & { closedMinute: number | null }) : { ...emptyMeta(), closedMinute: null };
  const keys = [...latest.values()].map((v) => JSON.parse(v) as KeySnapshot);
  return { snapshot: { closedMinute: meta.closedMinute, keys }, meta: { offsets: meta.offsets, delivered: meta.delivered, pending: meta.pending } };
}
