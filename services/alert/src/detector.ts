/**
 * Negative-spike detection on event time (pure: no I/O, no wall clock except what it is given). This module is
 * what the rest of the service imports; the parts live in ./detection/, one concern a file.
 *
 * Items are counted per minute of `published_at` for several keys at once: the whole market, each topic and
 * each ticker. A minute is evaluated once the watermark has passed it (detection/clock.ts): the minimum over
 * active partitions of the newest event time seen there, minus an allowed lateness (Kafka keeps order only
 * within a partition). When the stream goes quiet, an idle flush closes everything seen so far.
 *
 * For each closed minute, the trailing window of `windowMinutes` (and a shorter one of `shortWindowMinutes`,
 * for a faster first alert on a large spike) is compared with the key's baseline (detection/window-test.ts),
 * an EWMA of the negative share and its variance learnt from earlier windows (detection/baseline.ts). A key
 * fires when n >= minCount, z >= zThreshold and the share is at least minLift above baseline; it then stays
 * quiet until z falls below rearmZ (hysteresis) and the cooldown has passed. Counts are weighted by novelty so
 * reprints count for less.
 *
 * Alongside the windows, each key runs a Bernoulli CUSUM on its items as they arrive and a share-and-volume
 * CUSUM that also weighs how fast the stories come (detection/cusum.ts): they adapt to the onset of a spike
 * instead of waiting for minutes to fill, which is what detection within two minutes on a low-volume key needs.
 *
 * For a window after the market key fires (until it re-arms), its topics' alerts are suppressed: they are its
 * children, part of the same story (detection/spike-detector.ts). The state that survives a restart is a
 * versioned, validated snapshot (detection/snapshot.ts).
 */
export { DEFAULT_DETECTOR_CONFIG, type DetectorConfig } from './detection/detector-config.js';
export type { Observation } from './detection/key-state.js';
export { SpikeDetector } from './detection/spike-detector.js';
export { alertId } from './detection/alert.js';
export { RATE_CUSUM_VOLUME_RATIO, volumeCusumLlr } from './detection/cusum.js';
export {
  DetectorSnapshotSchema,
  SNAPSHOT_VERSION,
  SnapshotError,
  type DetectorSnapshot,
  type DetectorSnapshotV1,
  type KeySnapshot,
  type StoredDetectorSnapshot,
} from './detection/snapshot.js';
