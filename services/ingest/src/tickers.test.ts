import { describe, expect, it } from 'vitest';
import { TickerExtractor } from './tickers.js';

const tagger = new TickerExtractor([
  { ticker: 'JPM', name: 'JPMorgan Chase & Co.', aliases: ['JPMorgan', 'J.P. Morgan'] },
  { ticker: 'AAPL', name: 'Apple Inc.', aliases: ['Apple'], ambiguous: true },
  { ticker: 'SIE.DE', name: 'Siemens AG', aliases: ['Siemens'] },
  { ticker: 'ENR.DE', name: 'Siemens Energy AG', aliases: ['Siemens Energy'] },
]);

describe('TickerExtractor.entities', () => {
  it('gives each company once, at its first mention, in text order, with offsets into the text', () => {
    const text = 'Apple shares fall as JPMorgan cuts its target; $TSLA and (NYSE: JPM) move';
    const entities = tagger.entities(text);
    expect(entities.map((e) => [e.ticker, text.slice(e.start, e.end)])).toEqual([
      ['AAPL', 'Apple'],
      ['JPM', 'JPMorgan'],
      ['TSLA', '$TSLA'],
    ]);
    expect(entities[0]!.name).toBe('Apple Inc.');
    expect(entities[2]!.name).toBe('TSLA'); // not in the list: the symbol stands for the name
  });

  it('files a name inside a longer company name under the longer one', () => {
    const text = 'Siemens Energy shares slump while Siemens AG rises';
    expect(tagger.entities('Siemens Energy shares slump').map((e) => e.ticker)).toEqual(['ENR.DE']);
    expect(tagger.entities(text).map((e) => [e.ticker, text.slice(e.start, e.end)])).toEqual([
      ['ENR.DE', 'Siemens Energy'],
      ['SIE.DE', 'Siemens'],
    ]);
  });

  it('tags the shipped list: a two-company headline gives two entities', () => {
    const shipped = TickerExtractor.fromFile();
    const text = 'JPMorgan beats profit estimates as Goldman Sachs shares plunge on trading loss';
    expect(shipped.entities(text).map((e) => [e.ticker, text.slice(e.start, e.end)])).toEqual([
      ['JPM', 'JPMorgan'],
      ['GS', 'Goldman Sachs'],
    ]);
  });
});
