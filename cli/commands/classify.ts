/**
 * finsent classify --in FILE --out FILE: batch scoring for analysts and backfills, through the
 * same model session, normalisation and label contract as the classify service.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { createLogger, errorMessage } from '@finsent/shared';
import { ClassifierModel, loadClassifyConfig } from '@finsent/classify';
import { checkReadable, detectFormat, readRecords } from '../input-records.js';
import { progressBar } from '../progress.js';

const HELP = `Usage: finsent classify --in FILE --out FILE [--format csv|ndjson] [--batch N]

Scores every record of FILE with the shipped model and writes NDJSON: each input record's fields
plus sentiment (negative|neutral|positive), sentiment_scores, topic (one of 20), topic_scores and
model_version. Input is NDJSON objects with a "text" field, or CSV with a header that has a "text"
column (format from the extension unless --format). A bad record is reported on stderr with its
line number and skipped; an unreadable input exits with status 2.

Model settings (MODEL_DIR, MODEL_FILE, ORT_PROVIDER, ORT_INTRA_OP_THREADS) come from the environment.
`;

export async function run(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: { in: { type: 'string' }, out: { type: 'string' }, format: { type: 'string' }, batch: { type: 'string', default: '64' }, help: { type: 'boolean', short: 'h' } } }).values;
  } catch (err) {
    process.stderr.write(`finsent classify: ${errorMessage(err)}\n\n${HELP}`);
    return 2;
  }
  if (args.help) return process.stdout.write(HELP), 0;
  if (!args.in || !args.out) return process.stderr.write(`finsent classify: --in and --out are required\n\n${HELP}`), 2;
  const batchSize = Number(args.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1) return process.stderr.write('finsent classify: --batch must be a positive integer\n'), 2;

  let size: number;
  try {
    size = await checkReadable(args.in);
  } catch (err) {
    process.stderr.write(`finsent classify: ${errorMessage(err)}\n`);
    return 2;
  }
  const config = loadClassifyConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const logger = createLogger('classify-cli', config.LOG_LEVEL);
  const model = await ClassifierModel.load({ modelDir: config.MODEL_DIR, modelFile: config.MODEL_FILE, provider: config.ORT_PROVIDER, intraOpThreads: config.ORT_INTRA_OP_THREADS, spinWait: config.ORT_SPIN_WAIT, maxItemsPerRun: batchSize, logger });
  const out = createWriteStream(args.out);
  const bar = progressBar('classify', size, 'bytes');
  let pending: Array<Record<string, unknown>> = [];
  let scored = 0;
  let skipped = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const predictions = await model.predict(pending.map((r) => String(r.text)));
    const lines = pending.map((r, i) => JSON.stringify({ ...r, ...predictions[i], model_version: model.version })).join('\n');
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
    pending.push(rec.fields);
    if (pending.length >= batchSize) await flush();
  }
  await flush();
  bar.stop();
  out.end();
  await once(out, 'finish');
  await model.close();
  process.stderr.write(`finsent classify: ${scored} records scored, ${skipped} skipped, model ${model.version} -> ${args.out}\n`);
  return 0;
}
