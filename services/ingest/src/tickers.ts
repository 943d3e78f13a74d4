/**
 * Tickers mentioned in a text: cashtags ($AAPL), exchange tags ("(NYSE: JPM)") and company names
 * from the bundled list (shared/data/companies.json, see shared/data/README.md). Names that are also ordinary
 * words ("ambiguous": Apple, Shell, Target…) only count next to a company cue such as "shares",
 * "Inc" or "'s earnings", so "apple harvest" tags nothing.
 */
import { COMPANIES_FILE, MAX_ENTITIES, loadCompanies, type Company, type EntityMention } from '@finsent/shared';

const COMPANY_CUE = String.raw`(?:'s|’s|\s+(?:Inc|Corp|Corporation|Co|Ltd|Plc|PLC|AG|SA|NV|Group|Holdings|shares?|stock|stake|CEO|CFO|chief|board|earnings|results|revenue|profit|sales|guidance|investors|bonds|said|says|to\s+(?:buy|acquire|cut|sell|raise))\b)`;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class TickerExtractor {
  private readonly plain: Array<{ re: RegExp; ticker: string }> = [];
  private readonly known: Set<string>;
  private readonly names = new Map<string, string>();

  constructor(companies: Company[]) {
    this.known = new Set(companies.map((c) => c.ticker));
    for (const c of companies) this.names.set(c.ticker, c.name);
    for (const c of companies) {
      const names = [
        ...new Set([
          c.name.replace(/,?\s+(Inc\.?|Corporation|Corp\.?|plc|PLC|Ltd\.?|N\.V\.|S\.A\.|AG|SE)$/, ''),
          ...c.aliases,
        ]),
      ];
      for (const n of names) {
        if (n.length < 2) continue;
        const body = `(?<![\\w$])${escape(n)}(?![\\w-])`;
        this.plain.push({ re: new RegExp(c.ambiguous ? `${body}(?=${COMPANY_CUE})` : body, 'gu'), ticker: c.ticker });
      }
    }
  }

  /** The bundled list, or another file in its format. */
  static fromFile(path = COMPANIES_FILE): TickerExtractor {
    return new TickerExtractor(loadCompanies(path));
  }

  extract(text: string): string[] {
    return [...new Set(this.mentions(text).map((m) => m.ticker))].sort();
  }

  /**
   * The companies `text` names, each once (its first mention), in text order, with the mention's UTF-16 offsets:
   * what the classifier scores one sentiment for. The name is the company's listed name when the ticker is known,
   * else the cashtag's symbol.
   */
  entities(text: string): EntityMention[] {
    const first = new Map<string, { start: number; end: number }>();
    for (const m of this.mentions(text)) {
      const seen = first.get(m.ticker);
      if (!seen || m.start < seen.start) first.set(m.ticker, { start: m.start, end: m.end });
    }
    return [...first.entries()]
      .sort((a, b) => a[1].start - b[1].start)
      .slice(0, MAX_ENTITIES)
      .map(([ticker, span]) => ({ name: this.names.get(ticker) ?? ticker, ticker, ...span }));
  }

  private mentions(text: string): Array<{ ticker: string; start: number; end: number }> {
    const out: Array<{ ticker: string; start: number; end: number }> = [];
    for (const m of text.matchAll(/(?<![\w$])\$([A-Za-z]{1,6}(?:\.[A-Za-z]{1,2})?)\b/g)) {
      out.push({ ticker: m[1]!.toUpperCase(), start: m.index, end: m.index + m[0].length });
    }
    for (const m of text.matchAll(
      /\((?:NYSE|NASDAQ|Nasdaq|LSE|TSX|AMEX|NYSE American|XETRA|Euronext)\s*:\s*([A-Z][A-Z0-9.]{0,6})\)/g,
    )) {
      const at = m.index + m[0].lastIndexOf(m[1]!);
      out.push({ ticker: m[1]!, start: at, end: at + m[1]!.length });
    }
    for (const { re, ticker } of this.plain) {
      for (const m of text.matchAll(re)) out.push({ ticker, start: m.index, end: m.index + m[0].length });
    }
    // A name inside a longer name of another company is that company's ("Siemens Energy" is not Siemens).
    const inside = (m: (typeof out)[number]) =>
      out.some(
        (n) => n.ticker !== m.ticker && n.start <= m.start && n.end >= m.end && n.end - n.start > m.end - m.start,
      );
    // Keep the schema's ticker shape; bare cashtags of unknown symbols are still kept (social chatter names small caps).
    return out.filter((m) => /^[A-Z][A-Z0-9.-]{0,9}$/.test(m.ticker) && !inside(m));
  }

  isKnown(ticker: string): boolean {
    return this.known.has(ticker);
  }
}
