import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR } from './config.js';
import {
  DRIFT_ALERT_FEATURES,
  DRIFT_ALERT_PSI,
  DriftWindow,
  MIN_WINDOW_ITEMS,
  binOf,
  distribution,
  observeTexts,
  psi,
  referenceOf,
  type DriftObservation,
  type DriftReference,
} from './drift.js';
import { DRIFT_REFERENCE_FILE } from './drift-monitor.js';
import { ClassifierModel } from './model.js';
import { testLogger } from '../../../test/support/env.js';

const obs = (confidence: number, tokens = 16, sentiment = 'neutral'): DriftObservation => ({
  confidence,
  tokens,
  unknownShare: 0,
  sentiment,
  topic: 'Markets',
  lang: 'en',
});

describe('drift statistics', () => {
  it('bins a value by the first upper edge above it', () => {
    expect(binOf('confidence', 0.35)).toBe(0);
    expect(binOf('confidence', 0.95)).toBe(7);
    expect(binOf('confidence', 1)).toBe(8);
    expect(binOf('tokens', 200)).toBe(9);
  });

  it('gives PSI 0 for the same distribution and grows as the live one moves away', () => {
    const ref = distribution('confidence', [obs(0.97), obs(0.97), obs(0.75), obs(0.55)]);
    expect(psi(ref, ref)).toBeCloseTo(0, 10);
    const near = psi(ref, distribution('confidence', [obs(0.97), obs(0.97), obs(0.97), obs(0.55)]));
    const far = psi(ref, distribution('confidence', [obs(0.45), obs(0.45), obs(0.45), obs(0.55)]));
    expect(near).toBeGreaterThan(0);
    expect(far).toBeGreaterThan(near);
    // Labels the reference never saw count as rare, not infinitely so.
    expect(Number.isFinite(psi({ neutral: 1 }, { negative: 1 }))).toBe(true);
  });

  it('keeps the last items of a source and reports PSI only from a window large enough to mean something', () => {
    const reference = referenceOf(
      Array.from({ length: 100 }, () => obs(0.97)),
      'm',
      ['x'],
    );
    const w = new DriftWindow(MIN_WINDOW_ITEMS);
    for (let i = 0; i < MIN_WINDOW_ITEMS - 1; i++) w.add(obs(0.97));
    expect(w.summary(reference).psi).toEqual({});
    for (let i = 0; i < MIN_WINDOW_ITEMS; i++) w.add(obs(0.45, 40, 'negative'));
    const s = w.summary(reference);
    expect(s.items).toBe(MIN_WINDOW_ITEMS);
    expect(s.low_confidence_share).toBe(1);
    expect(s.sentiments).toEqual({ negative: 1 });
    expect(s.psi.confidence).toBeGreaterThan(DRIFT_ALERT_PSI);
  });
});

describe("drift of replayed streams against the shipped model's reference", () => {
  let model: ClassifierModel;
  const reference = JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, DRIFT_REFERENCE_FILE), 'utf8')) as DriftReference;
  beforeAll(async () => {
    model = await ClassifierModel.load({
      modelDir: DEFAULT_MODEL_DIR,
      provider: 'cpu',
      intraOpThreads: 2,
      spinWait: false,
      maxItemsPerRun: 64,
      logger: testLogger('drift'),
    });
  });
  afterAll(() => model?.close());

  /** What classify's drift monitor would hold after scoring `texts`. */
  const windowOf = async (texts: string[]) => {
    const w = new DriftWindow(1_000);
    for (const o of await observeTexts(model, texts, 64)) w.add(o);
    return w.summary(reference);
  };
  const alerting = (psiOf: Partial<Record<string, number>>) =>
    DRIFT_ALERT_FEATURES.filter((f) => (psiOf[f] ?? 0) > DRIFT_ALERT_PSI);

  it('stays quiet on the bundled sample of news, and fires on text unlike the training data', async () => {
    expect(reference.model_version).toBe(model.version);
    const sample = readFileSync(new URL('../../../cli/sample/headlines.ndjson', import.meta.url), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { title: string; summary?: string })
      .map((r) => `${r.title}. ${r.summary ?? ''}`);
    expect(alerting((await windowOf(sample)).psi)).toEqual([]);
    // Off-domain chatter (German small talk, no finance): the model is unsure, so its confidence moves.
    const words = [
      'Wetter',
      'morgen',
      'sonnig',
      'Katze',
      'Garten',
      'Rezept',
      'Fußball',
      'Urlaub',
      'Kuchen',
      'Musik',
      'Bahnhof',
      'Schule',
      'Hund',
      'Blumen',
      'Sommer',
    ];
    const unlike = Array.from({ length: 300 }, (_, i) =>
      Array.from({ length: 12 + (i % 20) }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(' '),
    );
    expect(alerting((await windowOf(unlike)).psi)).toContain('confidence');
  });
});
