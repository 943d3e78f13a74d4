/**
 * Drift: whether live text still looks like what the model was trained on. Each scored item gives a few numbers
 * (the model's confidence, the length in tokens, the share of tokens the vocabulary does not know, its labels and
 * language); a rolling window per source compares their distribution with the training distribution stored beside
 * the model (`drift-reference.json`, written by `finsent drift-reference`) by the population stability index:
 *
 *   PSI = Σ_bins (live − reference) · ln(live / reference)
 *
 * Common reading: below 0.1 stable, 0.1–0.25 a moderate shift, above 0.25 a shift worth acting on (the alert rule's
 * threshold). Empty bins are smoothed so that a bin the reference never saw counts as rare, not as infinitely so.
 */

import type { ClassifierModel } from './model.js';

/** Bin edges of the numeric features: a value v falls in the first bin whose upper edge is above it. */
export const DRIFT_BINS = {
  confidence: [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, Infinity],
  tokens: [8, 12, 16, 20, 24, 32, 48, 64, 96, Infinity],
  unknown_tokens: [0.000001, 0.02, 0.05, 0.1, 0.2, Infinity],
} as const;
export type NumericFeature = keyof typeof DRIFT_BINS;
export const DRIFT_FEATURES = [...(Object.keys(DRIFT_BINS) as NumericFeature[]), 'sentiment', 'topic'] as const;
export type DriftFeature = (typeof DRIFT_FEATURES)[number];

/**
 * The PSI above which text counts as unlike the training data (the FinsentInputDrift rule, infra/prometheus/rules.yml).
 * The rule reads the confidence and unknown-token features only: the label mixes move with the news itself (a crisis
 * is more negative news, which the alerts are for), and live items (title and summary) are longer than the training
 * headlines and tweets by design, so those PSIs are shown, not alerted on.
 */
export const DRIFT_ALERT_PSI = 0.25;
export const DRIFT_ALERT_FEATURES: readonly DriftFeature[] = ['confidence', 'unknown_tokens'];

/** Confidence below this is "low" in the low-confidence share. */
export const LOW_CONFIDENCE = 0.6;
/** PSI is only reported for a window of at least this many items: fewer is noise. */
export const MIN_WINDOW_ITEMS = 200;
const SMOOTHING = 1e-4;

/** What drift counts of one scored text: its token ids ([CLS] … [SEP]) and the label the model gave it. */
export function observationOf(
  ids: readonly number[],
  unknownId: number,
  p: { sentiment: string; sentiment_scores: Record<string, number>; topic: string },
  lang: string,
): DriftObservation {
  const tokens = ids.length - 2;
  return {
    confidence: p.sentiment_scores[p.sentiment]!,
    tokens,
    unknownShare: ids.filter((id) => id === unknownId).length / Math.max(tokens, 1),
    sentiment: p.sentiment,
    topic: p.topic,
    lang,
  };
}

/** Scores `texts` in batches with `model` and returns what drift counts of each (a reference, a replayed stream). */
export async function observeTexts(
  model: ClassifierModel,
  texts: readonly string[],
  batch: number,
  lang = 'en',
): Promise<DriftObservation[]> {
  const out: DriftObservation[] = [];
  for (let i = 0; i < texts.length; i += batch) {
    const encoded = texts.slice(i, i + batch).map((t) => model.encode(t));
    (await model.predictEncoded(encoded)).forEach((p, k) =>
      out.push(observationOf(encoded[k]!.ids, model.unknownId, p, lang)),
    );
  }
  return out;
}

export interface DriftObservation {
  /** Probability of the label the model chose for the whole text. */
  confidence: number;
  tokens: number;
  unknownShare: number;
  sentiment: string;
  topic: string;
  lang: string;
}

/** Shares per bin (numeric features) or per label (sentiment, topic), each summing to 1. */
export type Distribution = number[] | Record<string, number>;

export interface DriftReference {
  model_version: string;
  items: number;
  /** What the reference was computed on, for the model card and the docs. */
  sources: string[];
  distributions: Record<DriftFeature, Distribution>;
}

export function binOf(feature: NumericFeature, v: number): number {
  const edges = DRIFT_BINS[feature];
  const i = edges.findIndex((e) => v < e);
  return i < 0 ? edges.length - 1 : i;
}

/** The distribution of `feature` over `obs`. */
export function distribution(feature: DriftFeature, obs: readonly DriftObservation[]): Distribution {
  if (feature === 'sentiment' || feature === 'topic') {
    const counts: Record<string, number> = {};
    for (const o of obs) counts[o[feature]] = (counts[o[feature]] ?? 0) + 1;
    for (const k of Object.keys(counts)) counts[k]! /= Math.max(obs.length, 1);
    return counts;
  }
  const counts = new Array<number>(DRIFT_BINS[feature].length).fill(0);
  const value = (o: DriftObservation) =>
    feature === 'confidence' ? o.confidence : feature === 'tokens' ? o.tokens : o.unknownShare;
  for (const o of obs) counts[binOf(feature, value(o))]!++;
  return counts.map((c) => c / Math.max(obs.length, 1));
}

/** Population stability index of `actual` against `expected` (same bins or labels). */
export function psi(expected: Distribution, actual: Distribution): number {
  const keys = Array.isArray(expected)
    ? expected.map((_, i) => String(i))
    : [...new Set([...Object.keys(expected), ...Object.keys(actual)])];
  const at = (d: Distribution, k: string) => Math.max(SMOOTHING, (Array.isArray(d) ? d[Number(k)] : d[k]) ?? 0);
  return keys.reduce(
    (sum, k) => sum + (at(actual, k) - at(expected, k)) * Math.log(at(actual, k) / at(expected, k)),
    0,
  );
}

/** The reference of a set of observations (what `finsent drift-reference` writes). */
export function referenceOf(obs: readonly DriftObservation[], modelVersion: string, sources: string[]): DriftReference {
  const distributions = Object.fromEntries(DRIFT_FEATURES.map((f) => [f, distribution(f, obs)])) as Record<
    DriftFeature,
    Distribution
  >;
  return { model_version: modelVersion, items: obs.length, sources, distributions };
}

export interface WindowSummary {
  items: number;
  mean_confidence: number;
  low_confidence_share: number;
  mean_tokens: number;
  unknown_token_share: number;
  languages: Record<string, number>;
  sentiments: Record<string, number>;
  /** Per feature; absent without a reference or with fewer than MIN_WINDOW_ITEMS items. */
  psi: Partial<Record<DriftFeature, number>>;
}

/** The last `size` observations of one source. */
export class DriftWindow {
  private readonly obs: DriftObservation[] = [];
  private next = 0;

  constructor(private readonly size: number) {}

  add(o: DriftObservation): void {
    if (this.obs.length < this.size) this.obs.push(o);
    else this.obs[this.next] = o;
    this.next = (this.next + 1) % this.size;
  }

  summary(reference?: DriftReference): WindowSummary {
    const n = this.obs.length;
    const mean = (f: (o: DriftObservation) => number) => this.obs.reduce((a, o) => a + f(o), 0) / Math.max(n, 1);
    const psiOf: WindowSummary['psi'] = {};
    if (reference && n >= MIN_WINDOW_ITEMS) {
      for (const f of DRIFT_FEATURES) psiOf[f] = psi(reference.distributions[f], distribution(f, this.obs));
    }
    const shares = (pick: (o: DriftObservation) => string) => {
      const out: Record<string, number> = {};
      for (const o of this.obs) out[pick(o)] = (out[pick(o)] ?? 0) + 1;
      for (const k of Object.keys(out)) out[k]! /= n;
      return out;
    };
    return {
      items: n,
      mean_confidence: mean((o) => o.confidence),
      low_confidence_share: mean((o) => (o.confidence < LOW_CONFIDENCE ? 1 : 0)),
      mean_tokens: mean((o) => o.tokens),
      unknown_token_share: mean((o) => o.unknownShare),
      languages: shares((o) => o.lang),
      sentiments: shares((o) => o.sentiment),
      psi: psiOf,
    };
  }
}
