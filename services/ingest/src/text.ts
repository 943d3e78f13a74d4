/**
 * Text clean-up for feed content (pure): HTML to plain text, entities decoded, whitespace folded, and never
 * invalid Unicode (a lone surrogate makes ClickHouse refuse the insert on every retry).
 */

/** U+FFFD, what invalid or unrepresentable characters become. */
export const REPLACEMENT_CHAR = '\uFFFD';

// A high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// C0 and C1 control characters and DEL, except tab (U+0009) and newline (U+000A).
const CONTROL_CHARS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/**
 * Well-formed text for any string: each lone UTF-16 surrogate becomes U+FFFD and each control character
 * (C0, DEL, C1; tab and newline kept) becomes a space, so words either side stay apart. One UTF-16 unit in,
 * one out: the length never changes. Whitespace is not folded here (htmlToText does that).
 */
export function cleanText(s: string): string {
  return s.replace(LONE_SURROGATE, REPLACEMENT_CHAR).replace(CONTROL_CHARS, ' ');
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ndash: '–', mdash: '—', hellip: '…',
  lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', euro: '€', pound: '£', yen: '¥', cent: '¢', copy: '©', reg: '®', trade: '™',
};

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      // As HTML does: 0, surrogates (U+D800–U+DFFF) and beyond U+10FFFF are not characters, so U+FFFD.
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff)
        ? String.fromCodePoint(code)
        : REPLACEMENT_CHAR;
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? whole;
  });
}

/** Strips tags (dropping script/style bodies), decodes entities, cleans (see cleanText), folds whitespace. */
export function htmlToText(html: string): string {
  return cleanText(decodeEntities(
    html
      .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/gi, ' ')
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(/<br\s*\/?>|<\/(p|div|li|h\d)>/gi, ' ')
      .replace(/<[^>]+>/g, ' '),
  ))
    .replace(/\s+/g, ' ')
    .trim();
}

/** Cuts at a word boundary near `max` characters (never inside a surrogate pair). */
export function truncate(s: string, max: number): { text: string; truncated: boolean } {
  if (s.length <= max) return { text: s, truncated: false };
  let cut = s.lastIndexOf(' ', max - 1);
  if (cut < max * 0.8) cut = max - 1;
  const code = s.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return { text: `${s.slice(0, cut).trimEnd()}…`, truncated: true };
}
