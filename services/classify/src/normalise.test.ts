import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NORMALISATION_VERSION, normaliseText } from './normalise.js';

interface Vector {
  input: string;
  expected: string;
}

const vectorsUrl = new URL('../../../models/finsent-bge-small/normalisation_vectors.json', import.meta.url);
const vectors = JSON.parse(readFileSync(vectorsUrl, 'utf8')) as Vector[];
const labelsUrl = new URL('../../../models/finsent-bge-small/labels.json', import.meta.url);

describe('normaliseText (v1)', () => {
  it('has the shared version tag', () => {
    expect(NORMALISATION_VERSION).toBe('v1');
  });

  it('has at least 25 shared vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(25);
  });

  it.each(vectors.map((v, i) => [i, v] as const))('vector %i matches the Python implementation', (_i, v) => {
    expect(normaliseText(v.input)).toBe(v.expected);
  });

  it('is idempotent on the vectors', () => {
    for (const v of vectors) expect(normaliseText(v.expected)).toBe(v.expected);
  });

  it('matches the normalisation version declared in labels.json', () => {
    let labels: { normalisation?: string } = {};
    try {
      labels = JSON.parse(readFileSync(labelsUrl, 'utf8')) as { normalisation?: string };
    } catch {
      return; // model not exported yet
    }
    expect(labels.normalisation).toBe(NORMALISATION_VERSION);
  });
});
