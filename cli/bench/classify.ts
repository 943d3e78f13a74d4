/**
 * finsent bench classify: what the classify service costs on top of the bare model.
 *
 * In one run, on the same model file, batch size and thread count:
 *  (a) bare onnxruntime-node throughput on pre-tokenised headlines (no Kafka, no JSON);
 *  (b) the classify service as its own process, Kafka in → Kafka out, at saturation (a backlog
 *      is waiting when it starts), and p50/p99 latency from produce to scored message at a
 *      moderate load (half the saturation rate).
 *  (c) where a Python with PyTorch and transformers is at hand (FINSENT_TORCH_PYTHON, default the
 *      training venv .cache/train-venv), the same model the way a data scientist would serve it
 *      (training/finsent_train/bench_torch.py: transformers tokenizer + PyTorch checkpoint, same
 *      headlines, batch size and threads), for the ratio against it.
 * Inputs are the sample's headlines that name one or two companies, with the tagger's entities: the bare model
 * is timed with and without entity scoring on the same texts, the service with (as it runs in the pipeline).
 * The last line is one JSON object with the figures and their ratios.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import {
  ITEM_SCHEMA_VERSION,
  TOPIC_NAMES,
  TOPIC_SPECS,
  createKafkajsBus,
  createLogger,
  errorMessage,
  sleep,
  type EntityMention,
} from '@finsent/shared';
import { ClassifierModel, inSample, loadClassifyConfig, loadModel, type EncodedText } from '@finsent/classify';
import { TickerExtractor, stableId } from '@finsent/ingest';
import { ensureKafkaJars, startKafkaBroker } from '../../devkit/kafka/broker.js';
import { runCommand } from '../../devkit/run-command.js';
import { tempDirFor } from '../temp.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const HELP = `Usage: finsent bench classify [--items N] [--seconds S] [--batch B] [--threads T] [--shadow DIR [--shadow-sample X]]

Measures (a) bare onnxruntime-node throughput on pre-tokenised headline-length input and (b) the
classify service end to end (own process, Kafka in → Kafka out) at saturation, then p50/p99
latency at half that rate. Same model (MODEL_DIR/MODEL_FILE), batch size and thread count for both.
Starts a throwaway Kafka broker. Where a Python with PyTorch and transformers is found
(FINSENT_TORCH_PYTHON, default .cache/train-venv/bin/python; checkpoint FINSENT_TORCH_CKPT, default
.cache/ckpt/<model name>/final.pt), also runs the same model through transformers + PyTorch for comparison.
Inputs: the sample headlines that name one or two companies, each with its tagged entities; the bare
model is timed with entity scoring on and off on the same texts, the service with it on.
Last line: {"model","provider","entities_per_item","bare_no_entities_items_per_s","bare_items_per_s",
"service_items_per_s","ratio","p50_ms","p99_ms","torch_items_per_s","service_vs_torch"} (ratio: service
over bare, both with entities; the torch fields are null when it was not run). With --shadow, a second
saturation run scores a candidate model (DIR) in shadow on a share X of the items (default 0.1) and the line
adds "service_with_shadow_items_per_s", "shadow_ratio" (with over without) and "shadow_items".
  --items N     backlog size for the saturation run (default 6000)
  --seconds S   duration of the bare run and of the latency run (default 10)
  --batch B     batch size (default CLASSIFY_BATCH_MAX or 64)
  --threads T   intra-op threads (default ORT_INTRA_OP_THREADS or cores)
  --shadow DIR  also measure the live throughput while a candidate model scores a sample in shadow
`;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

interface BenchText {
  text: string;
  entities: EntityMention[];
}

/** The sample's headlines that name one or two companies, with the tagger's entities (headline-length news). */
function headlines(): BenchText[] {
  const tagger = TickerExtractor.fromFile();
  return readFileSync(`${ROOT}cli/sample/headlines.ndjson`, 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { title: string }).title)
    .map((text) => ({ text, entities: tagger.entities(text) }))
    .filter((h) => h.entities.length >= 1 && h.entities.length <= 2);
}

/** Bare onnxruntime-node throughput over pre-tokenised inputs for `seconds`. */
async function bareItemsPerSecond(
  model: ClassifierModel,
  encoded: EncodedText[],
  batch: number,
  seconds: number,
): Promise<number> {
  await model.predictEncoded(encoded.slice(0, batch)); // warm-up
  let items = 0;
  const start = performance.now();
  for (let i = 0; performance.now() - start < seconds * 1000; i = (i + batch) % encoded.length) {
    const part = encoded.slice(i, i + batch);
    await model.predictEncoded(part);
    items += part.length;
  }
  return items / ((performance.now() - start) / 1000);
}

/**
 * (c) transformers + PyTorch on the same checkpoint, or null (with the reason logged) when no
 * such Python or checkpoint is here: it is an optional comparison, never a requirement.
 */
async function torchItemsPerSecond(o: {
  modelVersion: string;
  batch: number;
  threads: number;
  seconds: number;
  log: (m: string) => void;
}): Promise<number | null> {
  const python = process.env.FINSENT_TORCH_PYTHON ?? `${ROOT}.cache/train-venv/bin/python`;
  // train.py keeps each model's checkpoints in .cache/ckpt/<name>, the model_version without its date and commit.
  const name = o.modelVersion.replace(/-\d{4}\.\d{2}\.\d{2}-[^-]+$/, '');
  const ckpt = process.env.FINSENT_TORCH_CKPT ?? `${ROOT}.cache/ckpt/${name}/final.pt`;
  if (!existsSync(python) || !existsSync(ckpt)) {
    o.log(
      `transformers + PyTorch comparison skipped: no ${existsSync(python) ? `checkpoint at ${ckpt}` : `Python at ${python}`} (see training/README.md)`,
    );
    return null;
  }
  const args = [
    '-m',
    'finsent_train.bench_torch',
    '--ckpt',
    ckpt,
    '--batch',
    String(o.batch),
    '--threads',
    String(o.threads),
    '--seconds',
    String(o.seconds),
  ];
  try {
    const res = await runCommand(python, args, { cwd: `${ROOT}training` });
    if (res.code !== 0)
      throw new Error(`exit code ${res.code}: ${res.output.trim().split('\n').slice(-3).join(' | ')}`);
    const rate = (JSON.parse(res.stdout.trim().split('\n').pop() ?? '') as { items_per_s: number }).items_per_s;
    o.log(
      `transformers + PyTorch (same checkpoint, tokenising inside the loop as its pipeline does): ${rate.toFixed(0)} items/s`,
    );
    return rate;
  } catch (e) {
    o.log(`transformers + PyTorch comparison failed: ${errorMessage(e)}`);
    return null;
  }
}

function rawItem(i: number, h: BenchText) {
  const now = new Date().toISOString();
  return {
    schema_version: ITEM_SCHEMA_VERSION,
    id: stableId(`bench-${i}`),
    source: 'bench',
    source_kind: 'replay',
    url: null,
    title: h.text,
    text: h.text,
    published_at: now,
    fetched_at: now,
    tickers: [...new Set(h.entities.map((e) => e.ticker).filter((t): t is string => t !== null))],
    entities: h.entities,
  };
}

export async function benchClassify(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        items: { type: 'string', default: '6000' },
        seconds: { type: 'string', default: '10' },
        batch: { type: 'string' },
        threads: { type: 'string' },
        shadow: { type: 'string' },
        'shadow-sample': { type: 'string', default: '0.1' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`finsent bench classify: ${errorMessage(err)}\n\n${HELP}`);
    return 2;
  }
  if (values.help) return (process.stdout.write(HELP), 0);
  const env = {
    ...process.env,
    ...(values.batch ? { CLASSIFY_BATCH_MAX: values.batch } : {}),
    ...(values.threads ? { ORT_INTRA_OP_THREADS: values.threads } : {}),
  };
  const config = loadClassifyConfig(env);
  const seconds = Number(values.seconds);
  const nItems = Number(values.items);
  const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
  const texts = headlines();

  // (a) bare model: tokenisation done up front, only session runs are timed.
  const logger = createLogger('bench', 'warn');
  const model = await loadModel(config, logger);
  const withEntities = texts.map((t) => model.encode(t.text, t.entities));
  const withoutEntities = texts.map((t) => model.encode(t.text));
  const meanTokens = withEntities.reduce((a, e) => a + e.ids.length, 0) / withEntities.length;
  const entitiesPerItem = withEntities.reduce((a, e) => a + e.entities.length, 0) / withEntities.length;
  log(
    `model ${model.version} (${model.file}, ${model.provider}, entity head: ${model.hasEntityHead}), batch ${config.CLASSIFY_BATCH_MAX}, ` +
      `${config.ORT_INTRA_OP_THREADS} threads, ${texts.length} headlines of ${meanTokens.toFixed(1)} tokens and ${entitiesPerItem.toFixed(2)} entities on average`,
  );
  const bareNoEntities = await bareItemsPerSecond(model, withoutEntities, config.CLASSIFY_BATCH_MAX, seconds);
  const bare = await bareItemsPerSecond(model, withEntities, config.CLASSIFY_BATCH_MAX, seconds);
  await model.close();
  log(
    `bare onnxruntime-node: ${bareNoEntities.toFixed(0)} items/s without entities, ${bare.toFixed(0)} items/s with entities`,
  );

  // (b) the service, as its own process, against a throwaway broker.
  await ensureKafkaJars();
  const dir = tempDirFor('bench-kafka');
  const broker = await startKafkaBroker({ dataDir: dir.path });
  const bus = createKafkajsBus({ brokers: [broker.brokers], clientId: 'bench', logger });
  await bus.ensureTopics(TOPIC_SPECS);
  const kafka = new Kafka({ brokers: [broker.brokers], clientId: 'bench-io', logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  /** A backlog of `nItems` raw items numbered from `first`. */
  const produceBacklog = async (first: number) => {
    for (let i = 0; i < nItems; i += 500) {
      const batch = Array.from({ length: Math.min(500, nItems - i) }, (_, k) =>
        rawItem(first + i + k, texts[(i + k) % texts.length]!),
      );
      await producer.send({
        topic: TOPIC_NAMES.raw,
        messages: batch.map((item) => ({ key: item.id, value: JSON.stringify(item) })),
      });
    }
  };
  await produceBacklog(0);
  log(`backlog of ${nItems} raw items produced; starting the classify service`);
  const arrivals: number[] = [];
  const latencies: number[] = [];
  const sentAt = new Map<string, number>();
  const consumer = kafka.consumer({ groupId: 'bench-reader', maxWaitTimeInMs: 20 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC_NAMES.scored, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = performance.now();
      for (const m of batch.messages) {
        arrivals.push(now);
        const sent = sentAt.get(m.key?.toString() ?? '');
        if (sent !== undefined) latencies.push(now - sent);
      }
    },
  });
  const startService = (extraEnv: Record<string, string> = {}) =>
    spawn(process.execPath, ['--import', 'tsx', `${ROOT}services/classify/src/main.ts`], {
      cwd: ROOT,
      env: { ...env, KAFKA_BROKERS: broker.brokers, CLASSIFY_PORT: '0', LOG_LEVEL: 'warn', ...extraEnv },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  /** Items/s of the backlog whose first arrival is arrivals[from], between its 5th and 95th percentile arrivals (no model load, no drain tail). */
  const saturation = async (service: ReturnType<typeof startService>, from: number) => {
    while (arrivals.length < from + nItems) {
      if (service.exitCode !== null) throw new Error(`classify exited with code ${service.exitCode}`);
      await sleep(100);
    }
    const a = arrivals.slice(from + Math.floor(nItems * 0.05), from + Math.floor(nItems * 0.95));
    return (a.length - 1) / ((a[a.length - 1]! - a[0]!) / 1000);
  };
  let child = startService();
  try {
    const service = await saturation(child, 0);
    log(`classify service, Kafka → Kafka at saturation: ${service.toFixed(0)} items/s`);

    const rate = Math.max(1, Math.round(service / 2));
    log(`latency at ${rate} items/s for ${seconds} s`);
    const start = Date.now();
    let sentCount = 0;
    while (Date.now() - start < seconds * 1000) {
      const due = Math.floor(((Date.now() - start) / 1000) * rate) - sentCount;
      if (due > 0) {
        const items = Array.from({ length: due }, (_, k) =>
          rawItem(nItems + sentCount + k, texts[(sentCount + k) % texts.length]!),
        );
        const t = performance.now();
        for (const item of items) sentAt.set(item.id, t);
        await producer.send({
          topic: TOPIC_NAMES.raw,
          messages: items.map((item) => ({ key: item.id, value: JSON.stringify(item) })),
        });
        sentCount += due;
      }
      await sleep(5);
    }
    while (latencies.length < sentCount) await sleep(50);
    latencies.sort((x, y) => x - y);
    child.kill('SIGTERM'); // the next run gets the CPU to itself
    await new Promise((r) => child.once('exit', r));
    let shadow: { service_with_shadow_items_per_s: number; shadow_ratio: number; shadow_items: number } | undefined;
    if (values.shadow) {
      // The same backlog size again, for a service that also scores a sample with the candidate.
      const from = arrivals.length;
      await produceBacklog(nItems + sentCount);
      child = startService({ SHADOW_MODEL_DIR: values.shadow, SHADOW_SAMPLE: values['shadow-sample']! });
      const withShadow = await saturation(child, from);
      const shadowItems = Array.from({ length: nItems }, (_, i) =>
        rawItem(nItems + sentCount + i, texts[i % texts.length]!),
      ).filter((x) => inSample(x.id, Number(values['shadow-sample']))).length;
      log(`with a shadow model on ${shadowItems} of ${nItems} items: ${withShadow.toFixed(0)} items/s`);
      shadow = {
        service_with_shadow_items_per_s: Math.round(withShadow),
        shadow_ratio: Math.round((withShadow / service) * 100) / 100,
        shadow_items: shadowItems,
      };
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    const torch = await torchItemsPerSecond({
      modelVersion: model.version,
      batch: config.CLASSIFY_BATCH_MAX,
      threads: config.ORT_INTRA_OP_THREADS,
      seconds,
      log,
    });
    const result = {
      model: model.version,
      provider: model.provider,
      entities_per_item: Math.round(entitiesPerItem * 100) / 100,
      bare_no_entities_items_per_s: Math.round(bareNoEntities),
      bare_items_per_s: Math.round(bare),
      service_items_per_s: Math.round(service),
      ratio: Math.round((service / bare) * 100) / 100,
      p50_ms: Math.round(percentile(latencies, 50) * 10) / 10,
      p99_ms: Math.round(percentile(latencies, 99) * 10) / 10,
      torch_items_per_s: torch === null ? null : Math.round(torch),
      service_vs_torch: torch === null ? null : Math.round((service / torch) * 100) / 100,
      ...shadow,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await consumer.disconnect();
    await producer.disconnect();
    await broker.stop();
    dir.remove();
  }
}
