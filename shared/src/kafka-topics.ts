/**
 * Kafka topics of the pipeline. Names carry the contract version so a breaking change ships as a
 * new topic that old and new consumers can run side by side on. Partition counts bound how many
 * consumers of one group can share the work; retention keeps a replay window for backfills.
 */
export const TOPIC_NAMES = {
  raw: 'finsent.raw.v1',
  scored: 'finsent.scored.v1',
  alerts: 'finsent.alerts.v1',
  deadLetter: 'finsent.deadletter.v1',
  /** Analysts' corrections of labels (`finsent correct`), stored by the store. */
  corrections: 'finsent.corrections.v1',
  /** A candidate model's labels for a sample of items, scored in shadow by classify. */
  shadowScored: 'finsent.shadow-scored.v1',
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface TopicSpec {
  topic: string;
  partitions: number;
  retentionMs: number;
  maxMessageBytes?: number;
}

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

/** Consumer groups: one per role, so adding hosts of a role splits its partitions between them. */
export const CONSUMER_GROUPS = {
  classify: 'finsent-classify',
  store: 'finsent-store',
  alert: 'finsent-alert',
  // the alert service's first stage, which re-keys scored items for the detectors (alert/src/signals.ts)
  alertFanOut: 'finsent-alert-fanout',
} as const;
