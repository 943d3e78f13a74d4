/** Classification metrics for `finsent eval` (pure). */

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface EvaluationReport {
  n: number;
  accuracy: number;
  macro_f1: number;
  per_class: Record<string, ClassMetrics>;
  /** confusion[trueLabel][predictedLabel] = count, in `labels` order. */
  confusion: number[][];
  labels: readonly string[];
}

export function evaluate(labels: readonly string[], truth: string[], predicted: string[]): EvaluationReport {
  if (truth.length !== predicted.length) throw new RangeError('truth and predictions differ in length');
  const index = new Map(labels.map((l, i) => [l, i]));
  const confusion = labels.map(() => labels.map(() => 0));
  truth.forEach((t, i) => {
    const ti = index.get(t);
    const pi = index.get(predicted[i]!);
    if (ti === undefined || pi === undefined)
      throw new RangeError(`unknown label ${ti === undefined ? t : predicted[i]}`);
    confusion[ti]![pi]!++;
  });
  const per_class: Record<string, ClassMetrics> = {};
  labels.forEach((label, k) => {
    const tp = confusion[k]![k]!;
    const support = confusion[k]!.reduce((a, b) => a + b, 0);
    const predictedK = confusion.reduce((a, row) => a + row[k]!, 0);
    const precision = predictedK === 0 ? 0 : tp / predictedK;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    per_class[label] = { precision, recall, f1, support };
  });
  const correct = labels.reduce((a, _, k) => a + confusion[k]![k]!, 0);
  // Macro-F1 over the classes present in the truth, as scikit-learn reports on these datasets.
  const present = labels.filter((l) => per_class[l]!.support > 0);
  return {
    n: truth.length,
    accuracy: truth.length === 0 ? 0 : correct / truth.length,
    macro_f1: present.length === 0 ? 0 : present.reduce((a, l) => a + per_class[l]!.f1, 0) / present.length,
    per_class,
    confusion,
    labels,
  };
}

export function formatConfusion(r: EvaluationReport, abbreviate = (l: string) => l.slice(0, 8)): string {
  const heads = r.labels.map(abbreviate);
  const width = Math.max(6, ...heads.map((h) => h.length), ...r.confusion.flat().map((c) => String(c).length));
  const rowLabel = Math.max(...r.labels.map((l) => l.length));
  const lines = [`${'true \\ predicted'.padEnd(rowLabel)} ${heads.map((h) => h.padStart(width)).join(' ')}`];
  r.confusion.forEach((row, i) =>
    lines.push(`${r.labels[i]!.padEnd(rowLabel)} ${row.map((c) => String(c).padStart(width)).join(' ')}`),
  );
  return lines.join('\n');
}
