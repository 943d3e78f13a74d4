/**
 * finsent classify --in FILE --out FILE: batch scoring for analysts and backfills, through the
 * same model session, normalisation and label contract as the classify service.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { createLogger, errorLine, errorMessage } from '@finsent/shared';
import { findTargets, loadClassifyConfig, loadModel, type CharSpan } from '@finsent/classify';
import { TickerExtractor } from '@finsent/ingest';
import { checkReadable, detectFormat, readRecords } from '../input-records.js';
import { progressBar } from '../progress.js';

const HELP = `Usage: finsent classify --in FILE --out FILE [--format csv|ndjson] [--batch N]

Scores every record of FILE with the shipped model and writes NDJSON: each input record's fields
plus sentiment (negative|neutral|positive), sentiment_scores, topic (one of 20), topic_scores and
model_version, and entities: one object per entity {name, ticker, start, end, sentiment,
sentiment_scores}, the sentiment the model gives that entity in this text. An NDJSON record with
"targets" (an array of names) gets one entity per target, in order, with "name" exactly as given
(start/end null when the name is not in the text: it is then judged on the whole text); without
"targets", the entities are the companies ingest's tagger finds (cashtags, exchange tags, the
company list). Input is NDJSON objects with a "text" field, or CSV with a header that has a "text"
column (format from the extension unless --format). A bad record is reported on stderr with its
line number and skipped; an unreadable input exits with status 2.

Model settings (MODEL_DIR, MODEL_FILE, ORT_PROVIDER, ORT_INTRA_OP_THREADS) come from the environment.
`;

export async function run(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        in: { type: 'string' },
        out: { type: 'string' },
        format: { type: 'string' },
        batch: { type: 'string', default: '64' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`finsent classify: ${errorMessage(err)}\n\n${HELP}`);
    return 2;
  }
  if (args.help) return (process.stdout.write(HELP), 0);
  if (!args.in || !args.out)
    return (process.stderr.write(`finsent classify: --in and --out are required\n\n${HELP}`), 2);
  const batchSize = Number(args.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    return (process.stderr.write('finsent classify: --batch must be a positive integer\n'), 2);

  let size: number;
  try {
    size = await checkReadable(args.in);
  } catch (err) {
    process.stderr.write(`finsent classify: ${errorLine(err)}\n`);
    return 2;
  }
  const config = loadClassifyConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const logger = createLogger('classify-cli', config.LOG_LEVEL);
  const model = await loadModel({ ...config, CLASSIFY_BATCH_MAX: batchSize }, logger);
  const out = createWriteStream(args.out);
  const bar = progressBar('classify', size, 'bytes');
  let pending: Array<Record<string, unknown>> = [];
  let scored = 0;
  let skipped = 0;
  const tagger = TickerExtractor.fromFile();
  const flush = async () => {
    if (pending.length === 0) return;
    const targets = pending.map((r) => entityTargets(r, tagger));
    const spans = targets.map((list) => list.map((t): CharSpan => ({ start: t.start ?? 0, end: t.end ?? 0 })));
    const predictions = await model.predict(
      pending.map((r) => String(r.text)),
      spans,
    );
    const lines = pending
      .map((r, i) => {
        const { entities, ...whole } = predictions[i]!;
        const scoredEntities = targets[i]!.map((t, k) => ({ ...t, ...entities[k] }));
        return JSON.stringify({ ...r, ...whole, entities: scoredEntities, model_version: model.version });
      })
      .join('\n');
    if (!out.write(`${lines}\n`)) await once(out, 'drain');
    scored += pending.length;
    pending = [];
  };
  for await (const rec of readRecords(args.in, detectFormat(args.in, args.format), (n) => bar.increment(n))) {
    const text = rec.ok ? rec.fields.text : undefined;
    if (!rec.ok || typeof text !== 'string' || text.trim() === '') {
      skipped++;
      const reason = !rec.ok ? rec.reason : typeof text !== 'string' ? 'no "text" field' : '"text" is empty';
      process.stderr.write(`${args.in}:${rec.line}: skipped: ${reason}\n`);
      continue;
    }
    const targets = rec.fields.targets;
    if (
      targets !== undefined &&
      (!Array.isArray(targets) || !targets.every((t) => typeof t === 'string' && t.length > 0))
    ) {
      skipped++;
      process.stderr.write(`${args.in}:${rec.line}: skipped: "targets" must be an array of non-empty strings\n`);
      continue;
    }
    pending.push(rec.fields);
    if (pending.length >= batchSize) await flush();
  }
  await flush();
  bar.stop();
  out.end();
  await once(out, 'finish');
  await model.close();
  process.stderr.write(
    `finsent classify: ${scored} records scored, ${skipped} skipped, model ${model.version} -> ${args.out}\n`,
  );
  return 0;
}

interface EntityTarget {
  name: string;
  ticker: string | null;
  start: number | null;
  end: number | null;
}

/** The entities to score in a record: its `targets` in order (names as given), else what the tagger finds. */
function entityTargets(record: Record<string, unknown>, tagger: TickerExtractor): EntityTarget[] {
  const text = String(record.text);
  if (!Array.isArray(record.targets)) return tagger.entities(text);
  const names = record.targets as string[];
  return findTargets(text, names).map((span, k) => ({
    name: names[k]!,
    ticker: null,
    start: span?.start ?? null,
    end: span?.end ?? null,
  }));
}
