/**
 * finsent replay --in FILE: publishes an NDJSON file of items to the raw topic through the same
 * normalisation, validation and de-duplication as the ingest service, optionally paced.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createKafkajsBus, createLogger, errorLine, sleep, type Bus, type Logger } from '@finsent/shared';
import { createItemPublisher, parseReplayLine } from '@finsent/ingest';
import { checkReadable } from '../input-records.js';
import { progressBar } from '../progress.js';
import { parseCommand } from '../args.js';

const HELP = `Usage: finsent replay --in FILE [--rate N | --speedup X] [--source NAME]

Publishes each line of FILE (NDJSON: title and/or text, optional url, id, source, published_at) to
the raw topic, normalised, validated and de-duplicated as the ingest service does.
  --rate N      at most N items per second
  --speedup X   keep the gaps between published_at times, X times faster (e.g. 360: an hour in 10 s)
  --source NAME source label for lines without one (default replay:<file name>)
Kafka: KAFKA_BROKERS (default 127.0.0.1:9092). Bad lines are reported with their line number.
`;

export interface ReplayOptions {
  file: string;
  ratePerSec?: number | undefined;
  speedup?: number | undefined;
  source?: string | undefined;
  bus: Bus;
  logger: Logger;
  progress?: boolean;
}

export async function replayFile(o: ReplayOptions): Promise<{ published: number; duplicates: number; bad: number }> {
  const size = await checkReadable(o.file);
  const { publisher, close } = await createItemPublisher(o.bus, o.logger);
  const bar = o.progress === false ? undefined : progressBar('replay', size, 'bytes');
  const source = o.source ?? `replay:${o.file.split('/').pop()}`;
  const totals = { published: 0, duplicates: 0, bad: 0 };
  const started = Date.now();
  let firstEventMs: number | undefined;
  let lineNo = 0;
  try {
    for await (const line of createInterface({ input: createReadStream(o.file), crlfDelay: Infinity })) {
      lineNo++;
      bar?.increment(Buffer.byteLength(line) + 1);
      const r = parseReplayLine(line, lineNo, source);
      if (r === null) continue;
      if (!r.ok) {
        totals.bad++;
        process.stderr.write(`${o.file}:${r.line}: skipped: ${r.reason}\n`);
        continue;
      }
      if (o.speedup && r.entry.publishedAt) {
        const ev = Date.parse(String(r.entry.publishedAt));
        if (!Number.isNaN(ev)) {
          firstEventMs ??= ev;
          const due = started + (ev - firstEventMs) / o.speedup;
          if (due > Date.now()) await sleep(due - Date.now());
        }
      } else if (o.ratePerSec) {
        const due = started + ((totals.published + totals.duplicates) * 1000) / o.ratePerSec;
        if (due > Date.now()) await sleep(due - Date.now());
      }
      const s = await publisher.publish([r.entry]);
      totals.published += s.published;
      totals.duplicates += s.duplicates;
      totals.bad += s.rejected;
    }
  } finally {
    bar?.stop();
    await close();
  }
  return totals;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand('replay', HELP, {
    args: argv,
    options: {
      in: { type: 'string' },
      rate: { type: 'string' },
      speedup: { type: 'string' },
      source: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (!values.in) return (process.stderr.write(`finsent replay: --in is required\n\n${HELP}`), 2);
  const num = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!(n > 0)) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  const logger = createLogger('replay', process.env.LOG_LEVEL ?? 'warn');
  const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const bus = createKafkajsBus({ brokers, clientId: 'finsent-replay', logger });
  try {
    const totals = await replayFile({
      file: values.in,
      ratePerSec: num('rate', values.rate),
      speedup: num('speedup', values.speedup),
      source: values.source,
      bus,
      logger,
    });
    process.stderr.write(
      `finsent replay: ${totals.published} published, ${totals.duplicates} duplicates skipped, ${totals.bad} bad lines\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`finsent replay: ${errorLine(err)}\n`);
    return 1;
  }
}
