/** Turning logits into the labels and probabilities published on scored items (pure). */
import { SENTIMENTS, TOPICS, type Sentiment, type Topic } from '@finsent/shared';

export interface EntitySentiment {
  sentiment: Sentiment;
  sentiment_scores: Record<Sentiment, number>;
}

export interface Prediction {
  sentiment: Sentiment;
  sentiment_scores: Record<Sentiment, number>;
  topic: Topic;
  topic_scores: Record<Topic, number>;
  /** One per entity asked for, in order. */
  entities: EntitySentiment[];
}

/** Numerically stable softmax over `logits[offset .. offset+n)`. */
export function softmax(logits: Float32Array | number[], offset: number, n: number): number[] {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[offset + i]!);
  const exps = new Array<number>(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    exps[i] = Math.exp(logits[offset + i]! - max);
    sum += exps[i]!;
  }
  return exps.map((e) => e / sum);
}

function labelled<L extends string>(labels: readonly L[], probs: number[]): { best: L; scores: Record<L, number> } {
  let bestIdx = 0;
  const scores = {} as Record<L, number>;
  labels.forEach((label, i) => {
    // Rounded: 4 decimals is plenty for analysts and keeps messages and rows small.
    scores[label] = Math.round(probs[i]! * 10_000) / 10_000;
    if (probs[i]! > probs[bestIdx]!) bestIdx = i;
  });
  return { best: labels[bestIdx]!, scores };
}

/** Row `row` of the two logit matrices → the whole-text prediction. */
export function predictionAt(
  sentimentLogits: Float32Array,
  topicLogits: Float32Array,
  row: number,
): Omit<Prediction, 'entities'> {
  const s = labelled(SENTIMENTS, softmax(sentimentLogits, row * SENTIMENTS.length, SENTIMENTS.length));
  const t = labelled(TOPICS, softmax(topicLogits, row * TOPICS.length, TOPICS.length));
  return { sentiment: s.best, sentiment_scores: s.scores, topic: t.best, topic_scores: t.scores };
}

/** The first `count` entities of row `row` of the [rows, entities = width, 3] entity logits. */
export function entityPredictionsAt(
  entityLogits: Float32Array,
  row: number,
  width: number,
  count: number,
): EntitySentiment[] {
  const n = SENTIMENTS.length;
  return Array.from({ length: count }, (_, e) => {
    const s = labelled(SENTIMENTS, softmax(entityLogits, (row * width + e) * n, n));
    return { sentiment: s.best, sentiment_scores: s.scores };
  });
}
