/**
 * Detector state that survives a restart or a rebalance, on a compacted Kafka topic. State is
 * kept per partition of the signals topic, because that is the unit of ownership: a process
 * restores exactly the partitions it is assigned. Per signals partition P: one record per
 * detector key (`P|scope:key`: baseline, alert state, minutes still in its window) and one
 * `P|_meta` record (last evaluated minute, the last signal offset folded in, the newest source
 * position per scored partition, recently delivered alert ids, and the outbox of fired alerts not
 * yet delivered). Compaction keeps the newest record per key, so reading the topic from the start
 * gives the state as last written.
 */
import { SERVICE_TOPIC_SPECS, type Alert, type Bus, type BusProducer } from '@finsent/shared';
import { readToEnd } from './compacted-topic.js';
import type { StoredDetectorSnapshot as DetectorSnapshot, KeySnapshot } from './detector.js';
import type { SourcePositions } from './signals.js';

export const STATE_TOPIC = SERVICE_TOPIC_SPECS.alertState.topic;
const META_KEY = '_meta';
/** How many delivered alert ids are remembered: far more than fire in one cooldown. */
export const DELIVERED_IDS_KEPT = 1_000;

export interface PersistedMeta {
  /** The last offset of this signals partition whose signal is in the state (null: none yet). */
  offset: string | null;
  /** Newest source position taken per scored partition: drops signals the fan-out sent again. */
  sources: SourcePositions;
  delivered: string[];
  /** Fired but not yet delivered: delivered first thing after a restart. */
  pending: Alert[];
}

export interface PersistedState {
  snapshot: DetectorSnapshot;
  meta: PersistedMeta;
}

export const emptyMeta = (): PersistedMeta => ({ offset: null, sources: {}, delivered: [], pending: [] });

export async function ensureStateTopic(bus: Bus, topic: string = STATE_TOPIC): Promise<void> {
  await bus.ensureTopics([{ ...SERVICE_TOPIC_SPECS.alertState, topic }]);
}

const recordKey = (partition: number, key: string) => `${partition}|${key}`;

export async function saveState(
  producer: BusProducer,
  topic: string,
  partition: number,
  snapshot: DetectorSnapshot,
  meta: PersistedMeta,
): Promise<void> {
  await producer.send(topic, [
    ...snapshot.keys.map((k) => ({ key: recordKey(partition, `${k.scope}:${k.key}`), value: JSON.stringify(k) })),
    // The snapshot's format version travels in the meta record, so that the keys are read back as what they are.
    {
      key: recordKey(partition, META_KEY),
      value: JSON.stringify({ ...meta, closedMinute: snapshot.closedMinute, version: snapshot.version }),
    },
  ]);
}

/**
 * Reads the whole state topic with a throwaway consumer group, until its lag is zero, and returns
 * the state of each of `partitions` that has one.
 */
export async function loadState(
  bus: Bus,
  topic: string,
  partitions: number[],
  timeoutMs = 60_000,
): Promise<Map<number, PersistedState>> {
  const found = new Map<number, PersistedState>();
  if (partitions.length === 0) return found;
  const wanted = new Set(partitions);
  const latest = new Map<number, Map<string, string>>();
  await readToEnd(
    bus,
    topic,
    (m) => {
      const bar = m.key?.indexOf('|') ?? -1;
      if (!m.key || !m.value || bar < 0) return;
      const partition = Number(m.key.slice(0, bar));
      if (!wanted.has(partition)) return;
      let records = latest.get(partition);
      if (!records) latest.set(partition, (records = new Map()));
      records.set(m.key.slice(bar + 1), m.value.toString('utf8'));
    },
    { groupPrefix: 'finsent-alert-restore', timeoutMs },
  );
  for (const [partition, records] of latest) {
    const metaJson = records.get(META_KEY);
    records.delete(META_KEY);
    const meta = metaJson
      ? (JSON.parse(metaJson) as PersistedMeta & { closedMinute: number | null; version?: number })
      : { ...emptyMeta(), closedMinute: null };
    const keys = [...records.values()].map((v) => JSON.parse(v) as KeySnapshot);
    found.set(partition, {
      // Records written before the format had a version carry none: restore() reads those as version 1.
      snapshot: {
        ...(meta.version === undefined ? {} : { version: meta.version }),
        closedMinute: meta.closedMinute,
        keys,
      } as DetectorSnapshot,
      meta: { offset: meta.offset, sources: meta.sources, delivered: meta.delivered, pending: meta.pending },
    });
  }
  return found;
}
