/**
 * Tickers mentioned in a text: cashtags ($AAPL), exchange tags ("(NYSE: JPM)") and company names
 * from the bundled list (data/companies.json, see data/README.md). Names that are also ordinary
 * words ("ambiguous": Apple, Shell, Target…) only count next to a company cue such as "shares",
 * "Inc" or "'s earnings", so "apple harvest" tags nothing.
 */
import { readFileSync } from 'node:fs';

export interface Company {
  ticker: string;
  name: string;
  aliases: string[];
  ambiguous?: boolean;
}

const COMPANY_CUE = String.raw`(?:'s|’s|\s+(?:Inc|Corp|Corporation|Co|Ltd|Plc|PLC|AG|SA|NV|Group|Holdings|shares?|stock|stake|CEO|CFO|chief|board|earnings|results|revenue|profit|sales|guidance|investors|bonds|said|says|to\s+(?:buy|acquire|cut|sell|raise))\b)`;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class TickerExtractor {
  private readonly plain: Array<{ re: RegExp; ticker: string }> = [];
  private readonly known: Set<string>;

  constructor(companies: Company[]) {
    this.known = new Set(companies.map((c) => c.ticker));
    for (const c of companies) {
      const names = [...new Set([c.name.replace(/,?\s+(Inc\.?|Corporation|Corp\.?|plc|PLC|Ltd\.?|N\.V\.|S\.A\.|AG|SE)$/, ''), ...c.aliases])];
      for (const n of names) {
        if (n.length < 2) continue;
        const body = `(?<![\\w$])${escape(n)}(?![\\w-])`;
        this.plain.push({ re: new RegExp(c.ambiguous ? `${body}(?=${COMPANY_CUE})` : body, 'u'), ticker: c.ticker });
      }
    }
  }

  static fromFile(path: string): TickerExtractor {
    return new TickerExtractor(JSON.parse(readFileSync(path, 'utf8')) as Company[]);
  }

  extract(text: string): string[] {
    const found = new Set<string>();
    for (const m of text.matchAll(/(?<![\w$])\$([A-Za-z]{1,6}(?:\.[A-Za-z]{1,2})?)\b/g)) found.add(m[1]!.toUpperCase());
    for (const m of text.matchAll(/\((?:NYSE|NASDAQ|Nasdaq|LSE|TSX|AMEX|NYSE American|XETRA|Euronext)\s*:\s*([A-Z][A-Z0-9.]{0,6})\)/g)) found.add(m[1]!);
    for (const { re, ticker } of this.plain) if (re.test(text)) found.add(ticker);
    // Keep the schema's ticker shape; bare cashtags of unknown symbols are still kept (social chatter names small caps).
    return [...found].filter((t) => /^[A-Z][A-Z0-9.\-]{0,9}$/.test(t)).sort();
  }

  isKnown(ticker: string): boolean {
    return this.known.has(ticker);
  }
}
