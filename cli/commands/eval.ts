/**
 * finsent eval --in FILE --task sentiment|topic: scores a labelled NDJSON/CSV file through
 * `finsent classify` and prints accuracy, macro-F1, per-class figures and the confusion matrix.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SENTIMENTS, TOPICS, errorMessage } from '@finsent/shared';
import { evaluate, formatConfusion, type EvaluationReport } from '../evaluation.js';
import { tempDirFor } from '../temp.js';
import { run as classify } from './classify.js';
import { parseCommand } from '../args.js';

const HELP = `Usage: finsent eval --in FILE [--task sentiment|topic|entity] [--label-field NAME]

Runs FILE (NDJSON with a "text" field, or CSV with a "text" column) through finsent classify and
compares the predictions with the label field (default "label"). Labels are label names
(negative|neutral|positive, or one of the 20 topics) or indices in the twitter-financial-news
convention (sentiment 0 = negative, 1 = positive, 2 = neutral; topic = line of topics.txt).
Prints per-class precision/recall/F1 and the confusion matrix; the last line is
{"task","n","accuracy","macro_f1","model_version"}.
Example: finsent eval --in ../shared/data/twitter-financial-news/sent_valid.csv --task sentiment

--task entity: FILE is NDJSON whose records have "entities": [{"name", "sentiment"}, …] (the shape of
sentfin and finentity). Each entity's name is scored as a target of its text (finsent classify's
"targets") and compared with its gold sentiment. Prints the figures for all entities, then the same
for the entities of texts whose gold entities conflict (not all the same sentiment); the last line
is {"task":"entity","n","accuracy","macro_f1","conflicting":{"n","accuracy","macro_f1"},"model_version"}.
Example: finsent eval --in ../shared/data/finentity/valid.ndjson --task entity
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand('eval', HELP, {
    args: argv,
    options: {
      in: { type: 'string' },
      task: { type: 'string', default: 'sentiment' },
      'label-field': { type: 'string', default: 'label' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (!values.in) return (process.stderr.write(`finsent eval: --in is required\n\n${HELP}`), 2);
  if (values.task === 'entity') return evaluateEntities(values.in);
  if (values.task !== 'sentiment' && values.task !== 'topic')
    return (process.stderr.write('finsent eval: --task must be sentiment, topic or entity\n'), 2);
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
      const label =
        typeof raw === 'number' || (typeof raw === 'string' && /^\d+$/.test(raw))
          ? labels[Number(raw)]
          : typeof raw === 'string'
            ? raw
            : undefined;
      if (label === undefined || !labels.includes(label)) {
        unlabelled++;
        continue;
      }
      truth.push(label);
      predicted.push(String(row[values.task]));
    }
    if (unlabelled)
      process.stderr.write(`finsent eval: ${unlabelled} records without a usable "${field}" were left out\n`);
    const r = evaluate(labels, truth, predicted);
    printReport(values.task, 'records', r);
    process.stdout.write(
      `${JSON.stringify({ task: values.task, ...summary(r), model_version: modelVersionOf(out) })}\n`,
    );
    return 0;
  } finally {
    dir.remove();
  }
}

const pct = (x: number) => (x * 100).toFixed(1).padStart(5);
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
const summary = (r: EvaluationReport) => ({ n: r.n, accuracy: round4(r.accuracy), macro_f1: round4(r.macro_f1) });
const modelVersionOf = (scoredFile: string) =>
  (JSON.parse(readFileSync(scoredFile, 'utf8').split('\n')[0] || '{}') as { model_version?: string }).model_version ??
  null;

function printReport(title: string, unit: string, r: EvaluationReport): void {
  const width = Math.max(...r.labels.map((l) => l.length));
  process.stdout.write(`${title}: ${r.n} ${unit}, accuracy ${pct(r.accuracy)}%, macro-F1 ${pct(r.macro_f1)}%\n\n`);
  process.stdout.write(`${'class'.padEnd(width)}  precision  recall     F1  support\n`);
  for (const l of r.labels) {
    const m = r.per_class[l]!;
    if (m.support === 0 && m.precision === 0) continue;
    process.stdout.write(
      `${l.padEnd(width)}      ${pct(m.precision)}   ${pct(m.recall)}  ${pct(m.f1)}  ${String(m.support).padStart(7)}\n`,
    );
  }
  process.stdout.write(`\n${formatConfusion(r)}\n\n`);
}

interface GoldEntity {
  name: string;
  sentiment: string;
}

/** The gold entities of a record, or why it cannot be scored. */
function goldEntities(record: Record<string, unknown>): GoldEntity[] | string {
  if (typeof record.text !== 'string' || record.text.trim() === '') return 'no "text"';
  const list = record.entities;
  if (!Array.isArray(list) || list.length === 0) return 'no "entities"';
  for (const e of list as Array<Record<string, unknown>>) {
    if (typeof e?.name !== 'string' || e.name === '') return 'an entity without a "name"';
    if (!SENTIMENTS.includes(e.sentiment as (typeof SENTIMENTS)[number]))
      return `entity "${e.name}" has no sentiment label`;
  }
  return (list as GoldEntity[]).map((e) => ({ name: e.name, sentiment: e.sentiment }));
}

async function evaluateEntities(file: string): Promise<number> {
  let lines: string[];
  try {
    lines = readFileSync(file, 'utf8').split('\n');
  } catch (err) {
    return (process.stderr.write(`finsent eval: ${errorMessage(err)}\n`), 2);
  }
  const dir = tempDirFor('eval');
  try {
    const gold: GoldEntity[][] = [];
    const inputs: string[] = [];
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return void process.stderr.write(`${file}:${i + 1}: skipped: not JSON\n`);
      }
      const entities = goldEntities(record);
      if (typeof entities === 'string') return void process.stderr.write(`${file}:${i + 1}: skipped: ${entities}\n`);
      gold.push(entities);
      inputs.push(JSON.stringify({ text: record.text, targets: entities.map((e) => e.name) }));
    });
    const input = join(dir.path, 'targets.ndjson');
    const out = join(dir.path, 'scored.ndjson');
    writeFileSync(input, inputs.join('\n') + '\n');
    const code = await classify(['--in', input, '--out', out]);
    if (code !== 0) return code;
    const scored = readFileSync(out, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { entities: Array<{ sentiment: string }> });
    const all = { truth: [] as string[], predicted: [] as string[] };
    const conflicting = { truth: [] as string[], predicted: [] as string[] };
    scored.forEach((row, i) => {
      const g = gold[i]!;
      const conflict = new Set(g.map((e) => e.sentiment)).size > 1;
      g.forEach((e, k) => {
        for (const bucket of conflict ? [all, conflicting] : [all]) {
          bucket.truth.push(e.sentiment);
          bucket.predicted.push(row.entities[k]!.sentiment);
        }
      });
    });
    const r = evaluate(SENTIMENTS, all.truth, all.predicted);
    const c = evaluate(SENTIMENTS, conflicting.truth, conflicting.predicted);
    printReport('entity', `entities in ${scored.length} texts`, r);
    printReport('entity, texts whose entities conflict', 'entities', c);
    process.stdout.write(
      `${JSON.stringify({ task: 'entity', ...summary(r), conflicting: summary(c), model_version: modelVersionOf(out) })}\n`,
    );
    return 0;
  } finally {
    dir.remove();
  }
}
