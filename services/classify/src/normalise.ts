/**
 * Text normalisation v1, shared by training and serving.
 *
 * Python twin: training/finsent_train/normalise.py. Both are checked against
 * models/<name>/normalisation_vectors.json of each shipped model. Keep the steps, their order
 * and the character sets identical.
 *
 *  1. Unicode NFKC.
 *  2. Decode &amp; &lt; &gt; &quot; &#39; &apos;.
 *  3. Replace URLs (http://, https://, www. up to the next whitespace) with a space.
 *  4. Remove emoji/pictographs (Extended_Pictographic, skin tones, regional
 *     indicators, variation selectors, ZWJ, keycap) and zero-width characters.
 *  5. Cashtags: "$AAPL" -> "AAPL" ("$" directly followed by a letter).
 *  6. Mentions: "@name" -> "name" (not inside e-mail addresses).
 *  7. Collapse whitespace (incl. control characters) to one space; trim.
 * Lower-casing is left to the uncased tokenizer.
 */

export const NORMALISATION_VERSION = 'v1';

// Explicit whitespace set (identical in Python) -- JS's and Python's \s differ.
const WS = '\\x00-\\x20\\x7F\\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';

const ENTITIES: ReadonlyArray<readonly [string, string]> = [
  ['&lt;', '<'],
  ['&gt;', '>'],
  ['&quot;', '"'],
  ['&#39;', "'"],
  ['&apos;', "'"],
  ['&amp;', '&'],
];
const URL_RE = new RegExp(`(?:https?://|www\\.)[^${WS}]*`, 'giu');
// Skin tones, flags' regional indicators, variation selectors and joiners are listed on their own on purpose: each
// is stripped wherever it stands, not only after the pictograph it modifies.
const EMOJI_RE =
  // eslint-disable-next-line no-misleading-character-class
  /[\p{Extended_Pictographic}\u{1F3FB}-\u{1F3FF}\u{1F1E6}-\u{1F1FF}\uFE00-\uFE0F\u200B-\u200D\u2060\u20E3\uFEFF]/gu;
const CASHTAG_RE = /\$(?=[A-Za-z])/gu;
const MENTION_RE = /(?<![A-Za-z0-9_@])@(?=[A-Za-z0-9_])/gu;
const WS_RE = new RegExp(`[${WS}]+`, 'gu');

export function normaliseText(text: string): string {
  if (!text) return '';
  let t = text.normalize('NFKC');
  for (const [ent, ch] of ENTITIES) t = t.split(ent).join(ch);
  t = t.replace(URL_RE, ' ');
  t = t.replace(EMOJI_RE, '');
  t = t.replace(CASHTAG_RE, '');
  t = t.replace(MENTION_RE, '');
  t = t.replace(WS_RE, ' ');
  return t.trim();
}
