/**
 * finsent eval --in FILE --task sentiment|topic: scores a labelled NDJSON/CSV file through
 * `finsent classify` and prints accuracy, macro-F1, per-class figures and the confusion matrix.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SENTIMENTS, TOPICS, errorMessage } from '@finsent/shared';
import { evaluate, formatConfusion } from '../evaluation.js';
import { tempDirFor } from '../temp.js';
import { run as classify } from './classify.js';

const HELP = `Usage: finsent eval --in FILE [--task sentiment|topic] [--label-field NAME]

Runs FILE (NDJSON with a "text" field, or CSV with a "text" column) through finsent classify and
compares the predictions with the label field (default "label"). Labels are label names
(negative|neutral|positive, or one of the 20 topics) or indices in the twitter-financial-news
convention (sentiment 0 = negative, 1 = positive, 2 = neutral; topic = line of topics.txt).
Prints per-class precision/recall/F1 and the confusion matrix; the last line is
{"task","n","accuracy","macro_f1","model_version"}.
Example: finsent eval --in ../shared/data/twitter-financial-news/sent_valid.csv --task sentiment
`;

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({ args: argv, options: { in: { type: 'string' }, task: { type: 'string', default: 'sentiment' }, 'label-field': { type: 'string', default: 'label' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (err) {
    process.stderr.write(`finsent eval: ${errorMessage(err)}\n\n${HELP}`);
    return 2;
  }
  if (values.help) return process.stdout.write(HELP), 0;
  if (!values.in) return process.stderr.write(`finsent eval: --in is required\n\n${HELP}`), 2;
  if (values.task !== 'sentiment' && values.task !== 'topic') return process.stderr.write('finsent eval: --task must be sentiment or topic\n'), 2;
  const labels: readonly string[] = values.task === 'sentiment' ? SENTIMENTS : TOPICS;
  const field = values['label-field']!;

  const dir = tempDirFor('eval');
  try {
    const out = join(dir.path, 'scored.ndjson');
    const code = await classify(['--in', values.in, '--out', out]);
    if (code !== 0) return code;
    const truth: string[] = [];
    const predicted: string[] = [];
    let unlabelled = 0;
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      if (!line) continue;
      const row = JSON.parse(line) as Record<string, unknown>;
      const raw = row[field];
      const label = typeof raw === 'number' || (typeof raw === 'string' && /^\d+$/.test(raw)) ? labels[Number(raw)] : typeof raw === 'string' ? raw : undefined;
      if (label === undefined || !labels.includes(label)) {
        unlabelled++;
        continue;
      }
      truth.push(label);
      predicted.push(String(row[values.task]));
    }
    if (unlabelled) process.stderr.write(`finsent eval: ${unlabelled} records without a usable "${field}" were left out\n`);
    const r = evaluate(labels, truth, predicted);
    const pct = (x: number) => (x * 100).toFixed(1).padStart(5);
    const width = Math.max(...labels.map((l) => l.length));
    process.stdout.write(`${values.task}: ${r.n} records, accuracy ${pct(r.accuracy)}%, macro-F1 ${pct(r.macro_f1)}%\n\n`);
    process.stdout.write(`${'class'.padEnd(width)}  precision  recall     F1  support\n`);
    for (const l of labels) {
      const m = r.per_class[l]!;
      if (m.support === 0 && m.precision === 0) continue;
      process.stdout.write(`${l.padEnd(width)}      ${pct(m.precision)}   ${pct(m.recall)}  ${pct(m.f1)}  ${String(m.support).padStart(7)}\n`);
    }
    process.stdout.write(`\n${formatConfusion(r)}\n\n`);
    const modelVersion = (JSON.parse(readFileSync(out, 'utf8').split('\n')[0] || '{}') as { model_version?: string }).model_version ?? null;
    process.stdout.write(`${JSON.stringify({ task: values.task, n: r.n, accuracy: Math.round(r.accuracy * 10_000) / 10_000, macro_f1: Math.round(r.macro_f1 * 10_000) / 10_000, model_version: modelVersion })}\n`);
    return 0;
  } finally {
    dir.remove();
  }
}
