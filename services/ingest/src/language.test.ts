import { describe, expect, it } from 'vitest';
import { guessLanguage } from './language.js';

describe('guessLanguage', () => {
  it.each([
    ['Shares of the bank fell after the regulator said it will review its capital plan', 'en'],
    ['Die Aktie der Deutschen Bank fällt nach der Gewinnwarnung für das Jahr', 'de'],
    ['La Bourse de Paris termine en baisse avec les valeurs bancaires dans le rouge', 'fr'],
    ['El banco central mantiene los tipos de interés por la inflación', 'es'],
    ['Il titolo della banca crolla dopo i conti per il trimestre', 'it'],
    ['As ações da Petrobras sobem após o anúncio de dividendos para os acionistas', 'pt'],
    ['トヨタ株が急落', 'ja'],
    ['Сбербанк отчитался о прибыли', 'ru'],
  ])('%s → %s', (text, lang) => {
    expect(guessLanguage(text)).toBe(lang);
  });

  it('answers und when a headline gives too little evidence', () => {
    expect(guessLanguage('Nvidia beats')).toBe('und');
    expect(guessLanguage('')).toBe('und');
  });
});
