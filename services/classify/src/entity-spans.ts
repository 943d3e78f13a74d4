/**
 * Where an entity's characters land among the model's tokens (pure; twin of training's `entity_token_range`).
 *
 * The entity head pools the hidden states of an entity's own tokens. The tokenizer used here gives no offsets,
 * so a span [start, end) of the raw text is mapped in two steps: through normalisation (the sentinel trick
 * below), then to token positions by counting the tokens of the normalised text before the span and up to its
 * end. The counts are exact when the span starts and ends on word boundaries, which tagged names do.
 */
import { normaliseText } from './normalise.js';

export interface CharSpan {
  start: number;
  end: number;
}

/**
 * Where raw[pos] lands in normaliseText(raw). The sentinel keeps a trailing space of the prefix from being
 * trimmed and stands in for a character that normalisation drops (the '$' of a cashtag).
 */
export function normalisedOffset(raw: string, pos: number): number {
  return normaliseText(raw.slice(0, pos) + 'x').length - 1;
}

/**
 * Token positions [a, b) of each span in the encoded text, whose position 0 is [CLS] and whose last
 * position (`length - 1`) is [SEP]. A span truncated away, or one that covers no token, becomes [0, 1):
 * the [CLS] token, so the entity is still judged on the text (training does the same).
 */
export function entityTokenRanges(
  raw: string,
  spans: readonly CharSpan[],
  countTokens: (normalisedPrefix: string) => number,
  length: number,
): Array<[number, number]> {
  if (spans.length === 0) return [];
  const normalised = normaliseText(raw);
  return spans.map(({ start, end }) => {
    const a = 1 + countTokens(normalised.slice(0, normalisedOffset(raw, start)));
    const b = Math.min(1 + countTokens(normalised.slice(0, normalisedOffset(raw, end))), length - 1);
    return a < b ? [a, b] : [0, 1];
  });
}

/** Spans of each target name in `text` (first case-insensitive occurrence); null for a name the text lacks. */
export function findTargets(text: string, names: readonly string[]): Array<CharSpan | null> {
  const lower = text.toLowerCase();
  return names.map((name) => {
    const at = name ? lower.indexOf(name.toLowerCase()) : -1;
    return at < 0 ? null : { start: at, end: at + name.length };
  });
}
