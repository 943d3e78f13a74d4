/**
 * The live side of drift (drift.ts): a rolling window per source of what the live model saw, published as
 * Prometheus gauges every few seconds, with the PSI against the reference stored beside the model.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '@finsent/shared';
import { DriftWindow, type DriftObservation, type DriftReference } from './drift.js';

/** The reference file in a model's folder. */
export const DRIFT_REFERENCE_FILE = 'drift-reference.json';
/** Sources followed at most: the least recently seen is forgotten first (a source is a feed or a push client). */
const MAX_SOURCES = 100;

export function loadDriftReference(modelDir: string, logger: Logger): DriftReference | undefined {
  const path = join(modelDir, DRIFT_REFERENCE_FILE);
  if (!existsSync(path)) {
    logger.info(
      { path },
      'no drift reference beside the model: drift is measured, not compared (finsent drift-reference writes one)',
    );
    return undefined;
  }
  return JSON.parse(readFileSync(path, 'utf8')) as DriftReference;
}

export function driftGauges(registry: Registry) {
  const g = (name: string, help: string, extra: string[] = []) =>
    new Gauge({
      name: `finsent_classify_drift_${name}`,
      help,
      labelNames: ['source', 'model_version', ...extra],
      registers: [registry],
    });
  return {
    items: g('window_items', 'Items in the drift window of a source'),
    meanConfidence: g('mean_confidence', 'Mean probability of the sentiment the model chose, over the window'),
    lowConfidence: g('low_confidence_share', 'Share of items whose sentiment probability is below 0.6'),
    meanTokens: g('mean_tokens', 'Mean length in tokens'),
    unknownTokens: g('unknown_token_share', 'Mean share of tokens the vocabulary does not know ([UNK])'),
    languages: g('language_share', "Share of items per language (ingest's tag)", ['lang']),
    labels: g('label_share', 'Share of items per sentiment label', ['sentiment']),
    psi: g('psi', 'Population stability index against the training distribution stored with the model', ['feature']),
  };
}

export class DriftMonitor {
  private readonly windows = new Map<string, DriftWindow>();
  private readonly gauges: ReturnType<typeof driftGauges>;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly o: {
      registry: Registry;
      modelVersion: string;
      reference?: DriftReference | undefined;
      windowItems: number;
      everyMs?: number;
    },
  ) {
    this.gauges = driftGauges(o.registry);
  }

  start(): void {
    this.timer = setInterval(() => this.publish(), this.o.everyMs ?? 10_000);
    this.timer.unref();
  }

  observe(source: string, obs: DriftObservation): void {
    let w = this.windows.get(source);
    if (w) this.windows.delete(source);
    else w = new DriftWindow(this.o.windowItems);
    this.windows.set(source, w);
    w.add(obs);
    if (this.windows.size > MAX_SOURCES) {
      const oldest = this.windows.keys().next().value!;
      this.windows.delete(oldest);
      for (const gauge of Object.values(this.gauges))
        gauge.remove({ source: oldest, model_version: this.o.modelVersion });
    }
  }

  /** Sets every gauge from the windows as they are now. */
  publish(): void {
    for (const [source, w] of this.windows) {
      const s = w.summary(this.o.reference);
      const l = { source, model_version: this.o.modelVersion };
      this.gauges.items.set(l, s.items);
      this.gauges.meanConfidence.set(l, s.mean_confidence);
      this.gauges.lowConfidence.set(l, s.low_confidence_share);
      this.gauges.meanTokens.set(l, s.mean_tokens);
      this.gauges.unknownTokens.set(l, s.unknown_token_share);
      for (const [lang, share] of Object.entries(s.languages)) this.gauges.languages.set({ ...l, lang }, share);
      for (const [sentiment, share] of Object.entries(s.sentiments)) this.gauges.labels.set({ ...l, sentiment }, share);
      for (const [feature, value] of Object.entries(s.psi)) this.gauges.psi.set({ ...l, feature }, value);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
