/**
 * Near-duplicate detection for headlines (the same story from another outlet, a wire update, light
 * rewording), so a reprint is published with `duplicate_of` and a low novelty instead of looking
 * like a second piece of news.
 *
 * Design (measured in docs/ingest.md):
 * - A headline becomes a set of normalised word tokens (lower case, accents folded, wire prefixes
 *   such as "UPDATE 2-" dropped, stop words removed, a light suffix stemmer, number words and common
 *   abbreviations unified). Single words, not n-grams: outlets reorder clauses ("X cut to neutral at
 *   Y" / "Y cuts X to neutral"), which would break every bigram.
 * - MinHash (128 hashes) of that set, split into 32 LSH bands of 4 rows: two headlines become
 *   candidates when one whole band agrees, likely from a Jaccard similarity of about 0.4 up.
 * - Candidates are verified with the exact Jaccard similarity of the token sets (cheap for
 *   headlines, and no estimation noise at the threshold) and two guards that similarity alone
 *   misses, because a story that differs in them is different news: a change of direction
 *   ("raises" vs "cuts", "rise" vs "fall") or different figures, and a different named entity
 *   ("Nvidia shares jump 4%" vs "AMD shares jump 4%").
 * - The index keeps the most recent items only, bounded both by count and by age.
 * - Work per headline is bounded: a flood of near-identical headlines (one template, 20,000 times in one push)
 *   puts every item in the same buckets, and verifying every earlier one made each check linear and the flood
 *   quadratic (ingest froze for 15 minutes). A bucket keeps its newest MAX_BUCKET members, and a check verifies
 *   at most MAX_CANDIDATES candidates, newest first: the story a reprint repeats is among the recent ones.
 */

export interface NearDupOptions {
  /** Jaccard similarity from which two headlines count as the same story. */
  threshold: number;
  /** Items remembered at most. */
  capacity: number;
  /** Items older than this (by the time they were added) are forgotten. */
  maxAgeMs: number;
}

export const DEFAULT_NEAR_DUP: NearDupOptions = { threshold: 0.5, capacity: 50_000, maxAgeMs: 48 * 60 * 60 * 1000 };

export interface NearDupMatch {
  duplicateOf: string;
  similarity: number;
}

const HASHES = 128;
/** Newest members kept per LSH bucket (see the design notes above). */
export const MAX_BUCKET = 64;
/** Candidates verified per check at most, newest first. */
export const MAX_CANDIDATES = 64;
const ROWS_PER_BAND = 4;

const STOP_WORDS = new Set(
  'a an the and or of to in on at for by with from as is are was were be been its it this that after ahead amid over into than so far says say said sources source report reports update updates live brief corrected exclusive opinion markets new more'.split(
    ' ',
  ),
);

/** Spelling variants that mean the same thing in headlines. */
const SYNONYMS: Record<string, string> = {
  bln: 'billion',
  bn: 'billion',
  mln: 'million',
  mn: 'million',
  pct: 'percent',
  st: 'street',
  vs: 'versus',
  us: 'us',
  usa: 'us',
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
  ten: '10',
  shut: 'close',
  curb: 'cut',
  lift: 'raise',
  biggest: 'largest',
};

function fold(s: string): string {
  return s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
}

/** Light suffix stemmer: enough to make "cuts/cut", "raised/raises", "signaled/signal", "recalling/recall" meet. */
function stem(w: string): string {
  if (/^\d/.test(w)) return w;
  let s = w;
  if (s.endsWith('ies') && s.length > 4) s = `${s.slice(0, -3)}y`;
  else if (s.endsWith('ing') && s.length >= 6) s = s.slice(0, -3);
  else if (s.endsWith('ed') && s.length >= 5) s = s.slice(0, -2);
  else if (s.endsWith('s') && !s.endsWith('ss') && s.length >= 4) s = s.slice(0, -1);
  return s.endsWith('e') && s.length > 3 ? s.slice(0, -1) : s;
}

/** Words that give a headline its direction; a reprint never flips it. */
const UP = new Set(
  [
    'rise',
    'rose',
    'raise',
    'jump',
    'climb',
    'gain',
    'up',
    'beat',
    'upgrade',
    'rally',
    'surge',
    'increase',
    'boost',
    'strong',
    'high',
    'record',
    'widen',
    'win',
    'inflow',
    'draw',
    'grow',
    'growth',
    'add',
    'open',
  ].map(stem),
);
const DOWN = new Set(
  [
    'fall',
    'fell',
    'cut',
    'drop',
    'slip',
    'slide',
    'plunge',
    'tumble',
    'down',
    'miss',
    'downgrade',
    'lower',
    'sink',
    'low',
    'weak',
    'decline',
    'reduce',
    'tighten',
    'loss',
    'outflow',
    'build',
    'shrink',
    'contraction',
    'close',
    'halt',
  ].map(stem),
);

/** Same word in another form ("China"/"Chinese"): a long enough common prefix. */
function sameRoot(a: string, b: string): boolean {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i >= 4 && i >= Math.min(a.length, b.length) - 2;
}

export interface HeadlineFeatures {
  tokens: Set<string>;
  /** Figures ("25", "4", "0.7"): different figures mean a different story. */
  numbers: Set<string>;
  /** Capitalised words of a mixed-case headline (names), lower-cased and folded. */
  names: Set<string>;
  /** All tokens glued together, to see a name inside a compound ("Eurozone" vs "Euro-zone"). */
  glued: string;
}

export function headlineFeatures(headline: string): HeadlineFeatures {
  const text = fold(headline)
    .replace(/^(?:[A-Z]+(?:\s+\d+)?\s*-\s*)+(?=\S)/, '') // wire prefixes: "UPDATE 2-", "BRIEF-", "CORRECTED-"
    .replace(/\b([A-Za-z])\.([A-Za-z])\.(?=\s|$|\W)/g, '$1$2') // U.S. → US, U.K. → UK
    .replace(/(\d),(\d{3})/g, '$1$2');
  const words = text.match(/[A-Za-z0-9]+(?:[.'’][A-Za-z0-9]+)*/g) ?? [];
  const tokens = new Set<string>();
  const numbers = new Set<string>();
  const names = new Set<string>();
  const capitalised = words.filter((w) => /^[A-Z]/.test(w)).length;
  // In Title Case or ALL CAPS headlines capital letters say nothing about names.
  const mixedCase = capitalised / Math.max(1, words.length) < 0.6;
  for (const raw of words) {
    const lower = raw
      .toLowerCase()
      .replace(/[’']s$/, '')
      .replace(/[’']/g, '');
    const word = SYNONYMS[lower] ?? lower;
    if (STOP_WORDS.has(word)) continue;
    if (/^\d/.test(word)) numbers.add(word);
    const token = SYNONYMS[stem(word)] ?? stem(word);
    tokens.add(token);
    if (mixedCase && /^[A-Z]/.test(raw)) names.add(token);
  }
  return { tokens, numbers, names, glued: [...tokens].join('') };
}

export function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

const onlyIn = (a: Set<string>, b: Set<string>) => [...a].filter((x) => !b.has(x));

/** Why two similar headlines are still different stories, or null when nothing contradicts. */
export function contradiction(a: HeadlineFeatures, b: HeadlineFeatures): 'direction' | 'figures' | 'names' | null {
  const aOnly = onlyIn(a.tokens, b.tokens);
  const bOnly = onlyIn(b.tokens, a.tokens);
  const dir = (ws: string[]) => ({ up: ws.some((w) => UP.has(w)), down: ws.some((w) => DOWN.has(w)) });
  const da = dir(aOnly);
  const db = dir(bOnly);
  if ((da.up && db.down) || (da.down && db.up)) return 'direction';
  if (
    a.numbers.size > 0 &&
    b.numbers.size > 0 &&
    (onlyIn(a.numbers, b.numbers).length > 0 || onlyIn(b.numbers, a.numbers).length > 0)
  )
    return 'figures';
  const missingName = (x: HeadlineFeatures, y: HeadlineFeatures) =>
    [...x.names].some((n) => !y.glued.includes(n) && ![...y.tokens].some((t) => sameRoot(n, t)));
  if (missingName(a, b) && missingName(b, a)) return 'names';
  return null;
}

/** Similarity of two headlines as the detector decides it: 0 when a guard says they differ. */
export function headlineSimilarity(a: string, b: string): number {
  const fa = headlineFeatures(a);
  const fb = headlineFeatures(b);
  return contradiction(fa, fb) ? 0 : jaccard(fa.tokens, fb.tokens);
}

/** murmur3's 32-bit finaliser: a cheap, well-mixed hash step. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const SEEDS = Array.from({ length: HASHES }, (_, i) => fmix32(i * 0x9e3779b9 + 1));

export function minHash(tokens: Set<string>): Uint32Array {
  const sig = new Uint32Array(HASHES).fill(0xffffffff);
  for (const t of tokens) {
    const h = fnv1a(t);
    for (let i = 0; i < HASHES; i++) {
      const v = fmix32(h ^ SEEDS[i]!);
      if (v < sig[i]!) sig[i] = v;
    }
  }
  return sig;
}

/**
 * One number per LSH band: the band index in the high bits and a 32-bit hash of its rows in the
 * low bits (b · 2^32 + h stays below 2^53). Numbers, not strings, because the index keeps one key
 * per band per item: 32 strings and 32 Sets per headline cost hundreds of MB at 50,000 headlines.
 * A hash collision only adds a candidate, which the exact Jaccard check then rejects.
 */
export function bandKeys(sig: Uint32Array): number[] {
  const keys: number[] = [];
  for (let b = 0; b < HASHES / ROWS_PER_BAND; b++) {
    let h = b;
    for (let r = b * ROWS_PER_BAND; r < (b + 1) * ROWS_PER_BAND; r++) h = fmix32(h ^ sig[r]!);
    keys.push(b * 2 ** 32 + h);
  }
  return keys;
}

interface Entry {
  features: HeadlineFeatures;
  bands: number[];
  addedAt: number;
}

/** Bounded index of recent headlines with LSH lookup. */
export class NearDupIndex {
  private readonly entries = new Map<string, Entry>(); // insertion order = age order
  /** Band key → the ids in that bucket: a bare id for the usual single member, an array beyond. */
  private readonly buckets = new Map<number, string | string[]>();
  /** Checks made and candidates verified (exact Jaccard) over the index's life: the work it did. */
  readonly work = { checks: 0, verified: 0 };

  constructor(readonly opts: NearDupOptions = DEFAULT_NEAR_DUP) {
    if (opts.capacity < 1) throw new RangeError('capacity must be >= 1');
  }

  /** The closest earlier item this headline near-duplicates (if any); then remembers it under `id`. */
  checkAndAdd(id: string, headline: string, now = Date.now()): NearDupMatch | null {
    this.evict(now);
    const features = headlineFeatures(headline);
    if (features.tokens.size === 0) return null;
    const bands = bandKeys(minHash(features.tokens));
    let best: NearDupMatch | null = null;
    const candidates = new Set<string>();
    for (const key of bands) {
      const bucket = this.buckets.get(key);
      if (typeof bucket === 'string') candidates.add(bucket);
      else if (bucket)
        for (let i = bucket.length - 1; i >= 0 && candidates.size < MAX_CANDIDATES; i--) candidates.add(bucket[i]!);
      if (candidates.size >= MAX_CANDIDATES) break;
    }
    this.work.checks++;
    for (const other of candidates) {
      if (other === id) continue;
      this.work.verified++;
      const o = this.entries.get(other)!;
      const similarity = jaccard(features.tokens, o.features.tokens);
      if (similarity < this.opts.threshold || contradiction(features, o.features)) continue;
      if (!best || similarity > best.similarity) best = { duplicateOf: other, similarity };
    }
    this.add(id, { features, bands, addedAt: now });
    return best;
  }

  /**
   * Remembers an item seen earlier (restored after a restart) without looking for its matches:
   * entries must come oldest first, as the index ages them out in insertion order.
   */
  remember(id: string, headline: string, addedAt: number): void {
    const features = headlineFeatures(headline);
    if (features.tokens.size > 0) this.add(id, { features, bands: bandKeys(minHash(features.tokens)), addedAt });
  }

  get size(): number {
    return this.entries.size;
  }

  private add(id: string, entry: Entry): void {
    this.remove(id);
    this.entries.set(id, entry);
    for (const key of entry.bands) {
      const bucket = this.buckets.get(key);
      if (bucket === undefined) this.buckets.set(key, id);
      else if (typeof bucket === 'string') this.buckets.set(key, [bucket, id]);
      else if (bucket.push(id) > MAX_BUCKET) bucket.shift(); // the entry stays findable through its other bands
    }
    if (this.entries.size > this.opts.capacity) this.remove(this.entries.keys().next().value as string);
  }

  private evict(now: number): void {
    for (const [id, e] of this.entries) {
      if (now - e.addedAt <= this.opts.maxAgeMs) break;
      this.remove(id);
    }
  }

  private remove(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    for (const key of e.bands) {
      const bucket = this.buckets.get(key);
      if (bucket === id) this.buckets.delete(key);
      else if (Array.isArray(bucket)) {
        const rest = bucket.filter((x) => x !== id);
        if (rest.length === 1) this.buckets.set(key, rest[0]!);
        else this.buckets.set(key, rest);
      }
    }
  }
}

/** Novelty published with an item: 1 − similarity to the story it repeats, 1 when it repeats none. */
export function novelty(match: NearDupMatch | null): number {
  return match ? Math.round((1 - match.similarity) * 1000) / 1000 : 1;
}
