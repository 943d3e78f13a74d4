/**
 * A small language guess for headlines and posts (pure): counts function words of the languages
 * financial news mostly comes in. Headlines are short, so this only claims a language when the
 * evidence is clear; otherwise it answers `und` (undetermined), which the pipeline treats as
 * possibly English rather than throwing the item away.
 */
const FUNCTION_WORDS: Record<string, readonly string[]> = {
  en: [
    'the',
    'and',
    'of',
    'to',
    'in',
    'for',
    'on',
    'with',
    'as',
    'at',
    'by',
    'is',
    'are',
    'after',
    'from',
    'its',
    'over',
    'amid',
    'says',
    'will',
    'be',
    'has',
    'than',
    'into',
  ],
  de: [
    'der',
    'die',
    'das',
    'und',
    'mit',
    'für',
    'auf',
    'ist',
    'nicht',
    'den',
    'dem',
    'ein',
    'eine',
    'bei',
    'nach',
    'über',
    'wird',
    'sich',
    'auch',
    'zu',
  ],
  fr: [
    'le',
    'la',
    'les',
    'des',
    'et',
    'du',
    'une',
    'pour',
    'sur',
    'dans',
    'est',
    'au',
    'aux',
    'par',
    'avec',
    'pas',
    'qui',
    'que',
    'se',
    'ses',
  ],
  es: [
    'el',
    'los',
    'las',
    'del',
    'y',
    'una',
    'para',
    'por',
    'con',
    'que',
    'es',
    'se',
    'su',
    'al',
    'como',
    'más',
    'sus',
    'tras',
    'sobre',
    'entre',
  ],
  it: [
    'il',
    'gli',
    'della',
    'delle',
    'che',
    'per',
    'con',
    'una',
    'nel',
    'sono',
    'alla',
    'dei',
    'non',
    'più',
    'dal',
    'degli',
    'anche',
    'sul',
    'tra',
    'questo',
  ],
  pt: [
    'os',
    'das',
    'dos',
    'uma',
    'para',
    'com',
    'não',
    'mais',
    'pelo',
    'pela',
    'foi',
    'ao',
    'seu',
    'sua',
    'são',
    'também',
    'após',
    'entre',
    'isso',
    'pelos',
  ],
  nl: [
    'het',
    'een',
    'van',
    'en',
    'niet',
    'voor',
    'met',
    'op',
    'zijn',
    'dat',
    'aan',
    'ook',
    'naar',
    'bij',
    'wordt',
    'uit',
    'door',
    'maar',
    'heeft',
    'nog',
  ],
};

const LOOKUP = new Map<string, string[]>();
for (const [lang, words] of Object.entries(FUNCTION_WORDS)) {
  for (const w of words) LOOKUP.set(w, [...(LOOKUP.get(w) ?? []), lang]);
}

/** ISO 639-1 code of the likely language, or `und` when the text is too short or ambiguous. */
export function guessLanguage(text: string): string {
  // Scripts that are not Latin settle it at once for the common cases.
  if (/[\u3040-\u30ff]/u.test(text)) return 'ja';
  if (/[\u4e00-\u9fff]/u.test(text)) return 'zh';
  if (/[\uac00-\ud7af]/u.test(text)) return 'ko';
  if (/[\u0400-\u04ff]/u.test(text)) return 'ru';
  if (/[\u0600-\u06ff]/u.test(text)) return 'ar';
  const scores = new Map<string, number>();
  for (const word of text.toLowerCase().match(/\p{L}+/gu) ?? []) {
    for (const lang of LOOKUP.get(word) ?? []) scores.set(lang, (scores.get(lang) ?? 0) + 1);
  }
  const ranked = [...scores].sort((a, b) => b[1] - a[1]);
  const [best, second] = ranked;
  if (!best || best[1] < 2 || (second && second[1] >= best[1])) return 'und';
  return best[0];
}
