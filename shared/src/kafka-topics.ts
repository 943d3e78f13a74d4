/**
 * Every Kafka topic of finsent, in one table. Names carry the contract version so a breaking change ships as a
 * new topic that old and new consumers can run side by side on. Partition counts bound how many
 * consumers of one group can share the work; retention keeps a replay window for backfills.
 */
import type { TopicConfig } from './kafka/bus.js';

export const TOPIC_NAMES = {
  raw: 'finsent.raw.v1',
  scored: 'finsent.scored.v1',
  alerts: 'finsent.alerts.v1',
  deadLetter: 'finsent.deadletter.v1',
  /** Analysts' corrections of labels (`finsent correct`), stored by the store. */
  corrections: 'finsent.corrections.v1',
  /** A candidate model's labels for a sample of items, scored in shadow by classify. */
  shadowScored: 'finsent.shadow-scored.v1',
  /** The alert service's own: scored items re-keyed by detection key (services/alert/src/signals.ts). */
  alertSignals: 'finsent.alert-signals.v1',
  /** The alert service's detector state and outbox, compacted (services/alert/src/state-store.ts). */
  alertState: 'finsent.alert-state.v2',
  /** Silences set with `finsent silence`, compacted (services/alert/src/silences.ts). */
  silences: 'finsent.silences.v1',
  /** Ids ingest has published, compacted, reloaded at start for exact de-duplication (services/ingest/src/seen-store.ts). */
  ingestSeen: 'finsent.ingest-seen.v1',
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;

export type TopicSpec = TopicConfig;

/** The topics every service makes sure of at start. */
export const TOPIC_SPECS: readonly TopicSpec[] = [
  // Raw accepts oversized messages (16 MiB) from producers other than ingest, so that a gigantic
  // item reaches the classifier and is dead-lettered with a reason instead of being refused at the
  // broker, where nobody downstream would ever see it.
  { topic: TOPIC_NAMES.raw, partitions: 6, retentionMs: 7 * DAY_MS, maxMessageBytes: 16 * 1024 * 1024 },
  // Scored items are larger than their raw input and a whole raw batch becomes one produce to the
  // same scored partition: the scored topic must take at least what raw does.
  { topic: TOPIC_NAMES.scored, partitions: 6, retentionMs: 7 * DAY_MS, maxMessageBytes: 16 * 1024 * 1024 },
  { topic: TOPIC_NAMES.alerts, partitions: 3, retentionMs: 30 * DAY_MS, maxMessageBytes: 16 * 1024 * 1024 },
  { topic: TOPIC_NAMES.deadLetter, partitions: 3, retentionMs: 30 * DAY_MS },
  { topic: TOPIC_NAMES.corrections, partitions: 3, retentionMs: 30 * DAY_MS },
  { topic: TOPIC_NAMES.shadowScored, partitions: 3, retentionMs: 7 * DAY_MS },
];

/** The topics one service keeps for itself, created by that service. */
export const SERVICE_TOPIC_SPECS = {
  // The most alert processes that can share detection; only a replay window: the detector state holds what was learnt.
  alertSignals: { topic: TOPIC_NAMES.alertSignals, partitions: 6, retentionMs: 3 * DAY_MS },
  // A key with many recent headlines can be large: 16 MiB.
  alertState: {
    topic: TOPIC_NAMES.alertState,
    partitions: 3,
    cleanupPolicy: 'compact',
    maxMessageBytes: 16 * 1024 * 1024,
  },
  silences: { topic: TOPIC_NAMES.silences, partitions: 1, cleanupPolicy: 'compact' },
  ingestSeen: { topic: TOPIC_NAMES.ingestSeen, partitions: 3, cleanupPolicy: 'compact' },
} as const satisfies Record<string, TopicSpec>;

/** Consumer groups: one per role, so adding hosts of a role splits its partitions between them. */
export const CONSUMER_GROUPS = {
  classify: 'finsent-classify',
  store: 'finsent-store',
  alert: 'finsent-alert',
  // the alert service's first stage, which re-keys scored items for the detectors (alert/src/signals.ts)
  alertFanOut: 'finsent-alert-fanout',
} as const;
