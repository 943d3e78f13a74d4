/**
 * The bundled company list (shared/data/companies.json, see shared/data/README.md): ingest's tagger finds the
 * companies a text names from it, and the alert and live views show a company's name beside its ticker.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const COMPANIES_FILE = fileURLToPath(new URL('../data/companies.json', import.meta.url));

export interface Company {
  ticker: string;
  /** Legal or listed name ("Apple Inc."). */
  name: string;
  /** The names people write in headlines ("Apple"). */
  aliases: string[];
  /** A common alias is also an ordinary word, so it only counts next to a company cue. */
  ambiguous?: boolean;
}

export function loadCompanies(path = COMPANIES_FILE): Company[] {
  return JSON.parse(readFileSync(path, 'utf8')) as Company[];
}

/** Ticker → listed name, for display beside a ticker; a ticker the list does not know has no entry. */
export function companyNames(companies: Company[] = loadCompanies()): Map<string, string> {
  return new Map(companies.map((c) => [c.ticker, c.name]));
}
