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
  // Clamped: a position inside a URL swallows the sentinel with the URL (training's twin agrees).
  return Math.max(0, normaliseText(raw.slice(0, pos) + 'x').length - 1);
}

/**
 * Token positions [a, b) of each span of `raw` (whose normalised form, `normalised`, the caller has) in the encoded text, whose position 0 is [CLS] and whose last
 * position (`length - 1`) is [SEP]; null for a span truncated away or covering no token (the caller
 * then gives that entity the whole text's label: the entity head never learnt such spans).
 * `windowChars`: when the text was truncated, the normalised length whose tokens fill the window; a
 * span starting past it is outside without counting its prefix, a span ending past it ends at [SEP].
 */
export function entityTokenRanges(
  raw: string,
  normalised: string,
  spans: readonly CharSpan[],
  countTokens: (normalisedPrefix: string) => number,
  length: number,
  windowChars = Infinity,
): Array<[number, number] | null> {
  const position = (offset: number) =>
    offset >= windowChars ? length - 1 : Math.min(1 + countTokens(normalised.slice(0, offset)), length - 1);
  return spans.map(({ start, end }) => {
    const a = position(normalisedOffset(raw, start));
    const b = position(normalisedOffset(raw, end));
    return a < b ? [a, b] : null;
  });
}

/**
 * Where a truncated text's window ends: the first word boundary (a space of the normalised text, or its end)
 * whose prefix has at least `bodyTokens` tokens, found by binary search (~log2(words) token counts). Searched
 * over word boundaries only because there the count can only grow (the tokenizer splits words on spaces
 * first; within a word a longer prefix can take fewer word pieces), so every offset past it is outside the
 * window and entityTokenRanges gives exactly what it gives without the bound.
 */
export function windowEnd(normalised: string, bodyTokens: number, countTokens: (prefix: string) => number): number {
  const boundaries: number[] = [];
  for (let i = normalised.indexOf(' '); i >= 0; i = normalised.indexOf(' ', i + 1)) boundaries.push(i);
  boundaries.push(normalised.length);
  let lo = 0;
  let hi = boundaries.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (countTokens(normalised.slice(0, boundaries[mid])) >= bodyTokens) hi = mid;
    else lo = mid + 1;
  }
  return boundaries[lo]!;
}

/** Spans of each target name in `text` (first case-insensitive occurrence); null for a name the text lacks. */
export function findTargets(text: string, names: readonly string[]): Array<CharSpan | null> {
  const lower = text.toLowerCase();
  return names.map((name) => {
    const at = name ? lower.indexOf(name.toLowerCase()) : -1;
    return at < 0 ? null : { start: at, end: at + name.length };
  });
}
