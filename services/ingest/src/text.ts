/**
 * Text clean-up for feed content (pure): HTML to plain text, entities decoded, whitespace folded, and never
 * invalid Unicode (a lone surrogate makes ClickHouse refuse the insert on every retry).
 */
import { Parser } from 'htmlparser2';

/** U+FFFD, what invalid or unrepresentable characters become. */
export const REPLACEMENT_CHAR = '\uFFFD';

// A high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// C0 and C1 control characters and DEL, except tab (U+0009) and newline (U+000A): matching them is the point.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;

/**
 * Well-formed text for any string: each lone UTF-16 surrogate becomes U+FFFD and each control character
 * (C0, DEL, C1; tab and newline kept) becomes a space, so words either side stay apart. One UTF-16 unit in,
 * one out: the length never changes. Whitespace is not folded here (htmlToText does that).
 */
export function cleanText(s: string): string {
  return s.replace(LONE_SURROGATE, REPLACEMENT_CHAR).replace(CONTROL_CHARS, ' ');
}

/** Elements whose content is not text a reader sees. */
const HIDDEN_ELEMENTS = new Set(['script', 'style', 'noscript', 'template', 'head', 'title', 'svg']);
/** Elements that separate words: their boundaries become a space ("<p>a</p><p>b</p>" is "a b", not "ab"). */
const BREAKING_ELEMENTS = new Set([
  'br',
  'p',
  'div',
  'li',
  'ul',
  'ol',
  'tr',
  'td',
  'th',
  'table',
  'blockquote',
  'pre',
  'hr',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'section',
  'article',
  'header',
  'footer',
  'figure',
  'figcaption',
]);
/** Text that is still markup: a tag or a comment (`<div class="md">`, `</p>`, `<!-- SC_OFF -->`). */
const STILL_MARKUP = /<(?:[a-z][a-z0-9]*(?:\s[^<>]*)?\/?|\/[a-z][a-z0-9]*\s*|!--)>/i;
/**
 * Most characters of one title or summary that ingest parses. The tokenizer is linear, but nothing
 * downstream keeps more than MAX_TEXT_CHARS of text: a megabyte of markup is cut before any parsing.
 */
export const MAX_MARKUP_CHARS = 256 * 1024;

/**
 * The visible text of an HTML fragment: htmlparser2's tokenizer (linear in the input, whatever it holds:
 * a regex tag stripper is quadratic on a run of `<`), entities decoded as browsers do (references to
 * surrogates, to 0 and past U+10FFFF become U+FFFD), scripts, styles and comments dropped.
 */
function visibleText(html: string): string {
  const parts: string[] = [];
  let hidden = 0;
  // Text inside a hidden element, kept aside: an element that is never closed (`Hackers slip <script> into npm`, a
  // tag named in a headline) is no element at all, and its "content" is the rest of the headline.
  let held: string[] = [];
  const parser = new Parser(
    {
      onopentagname(name) {
        if (HIDDEN_ELEMENTS.has(name)) hidden++;
        else if (BREAKING_ELEMENTS.has(name)) parts.push(' ');
      },
      onclosetag(name, isImplied) {
        if (HIDDEN_ELEMENTS.has(name)) {
          hidden = Math.max(0, hidden - 1);
          if (hidden === 0) {
            if (isImplied) parts.push(' ', ...held);
            held = [];
          }
        } else if (BREAKING_ELEMENTS.has(name)) parts.push(' ');
      },
      ontext(text) {
        (hidden === 0 ? parts : held).push(text);
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.end(html);
  return parts.join('');
}

/**
 * Plain text of a title or summary: tags stripped, entities decoded, cleaned (see cleanText), whitespace folded.
 * Feeds that escape their HTML twice (Reddit's do: `&amp;lt;div class=&amp;quot;md&amp;quot;&amp;gt;`) still
 * hold markup after one decoding; such text is parsed once more, never more (a headline about `&lt;b&gt;` tags
 * escaped three times keeps its last level).
 */
export function htmlToText(html: string): string {
  let text = visibleText(html.length > MAX_MARKUP_CHARS ? html.slice(0, MAX_MARKUP_CHARS) : html);
  if (STILL_MARKUP.test(text)) text = visibleText(text);
  return cleanText(text).replace(/\s+/g, ' ').trim();
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
