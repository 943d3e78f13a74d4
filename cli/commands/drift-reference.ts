/** finsent drift-reference: the training distribution a model's drift is measured against, stored beside it. */
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createLogger } from '@finsent/shared';
import {
  DRIFT_REFERENCE_FILE,
  loadClassifyConfig,
  loadModel,
  observeTexts,
  referenceOf,
  type DriftObservation,
} from '@finsent/classify';
import { checkReadable, detectFormat, readRecords } from '../input-records.js';
import { progressBar } from '../progress.js';
import { parseCommand } from '../args.js';

const HELP = `Usage: finsent drift-reference --in FILE [--in FILE …] [--every N] [--model-dir DIR]

Scores texts like those the model was trained on (NDJSON with a "text" field, or CSV with a "text" column) and
writes, beside the model, drift-reference.json: the distribution of its confidence, of the length in tokens, of the
share of unknown tokens and of its labels. Classify compares live text with it (docs/operations.md, Drift).
  --in FILE       a training file (repeatable); the shipped reference lists the files it was computed on
  --every N       take every Nth record of each file (default 1: all)
  --model-dir DIR the model (default MODEL_DIR or the shipped one)
`;

const usage = (msg: string) => (process.stderr.write(`finsent drift-reference: ${msg}\n\n${HELP}`), 2);

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand('drift-reference', HELP, {
    args: argv,
    options: {
      in: { type: 'string', multiple: true },
      every: { type: 'string', default: '1' },
      'model-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (!values.in?.length) return usage('give at least one --in FILE');
  const every = Number(values.every);
  if (!Number.isInteger(every) || every < 1) return usage(`--every ${values.every}: expected a positive integer`);
  const config = loadClassifyConfig({
    ...process.env,
    ...(values['model-dir'] ? { MODEL_DIR: values['model-dir'] } : {}),
  });
  const logger = createLogger('drift-reference', 'warn');
  const model = await loadModel(config, logger);
  const observations: DriftObservation[] = [];
  try {
    for (const file of values.in) {
      const bar = progressBar(basename(file), await checkReadable(file), 'bytes');
      const texts: string[] = [];
      let n = 0;
      for await (const r of readRecords(file, detectFormat(file), (bytes) => bar?.increment(bytes))) {
        if (r.ok && typeof r.fields.text === 'string' && r.fields.text.trim() && n++ % every === 0)
          texts.push(r.fields.text);
      }
      bar?.stop();
      observations.push(...(await observeTexts(model, texts, config.CLASSIFY_BATCH_MAX)));
      process.stderr.write(`${file}: ${texts.length} texts\n`);
    }
  } finally {
    await model.close();
  }
  const reference = referenceOf(
    observations,
    model.version,
    values.in.map((f) => `${f}${every > 1 ? ` (every ${every}th record)` : ''}`),
  );
  const out = join(config.MODEL_DIR, DRIFT_REFERENCE_FILE);
  writeFileSync(out, `${JSON.stringify(reference, null, 1)}\n`);
  process.stdout.write(`${out}: ${observations.length} texts of ${reference.sources.length} files\n`);
  return 0;
}
