/**
 * The model session: tokeniser + one onnxruntime-node InferenceSession, shared by every batch.
 *
 * Per call: normalise → tokenise → truncate to the model's max length → sort by length and cut
 * into runs of at most `maxItemsPerRun` (length bucketing) → pad each run only to its own longest
 * item (dynamic padding) → run → softmax. The session runs on its own thread (inference-thread.ts),
 * so tokenising and Kafka I/O on the event loop overlap with inference. Execution provider from
 * config; CUDA falls back to CPU with a log line when its libraries cannot load.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { FinsentError, errorMessage, type Logger } from '@finsent/shared';
import { entityTokenRanges, windowEnd, type CharSpan } from './entity-spans.js';
import { InferenceThread, type EntityMaskInput } from './inference-thread.js';
import { ModelLabelsSchema, checkLabelsContract, type ModelLabels } from './labels-contract.js';
import { NORMALISATION_VERSION, normaliseText } from './normalise.js';
import { entityPredictionsAt, predictionAt, type Prediction } from './scoring.js';

export type ExecutionProvider = 'cpu' | 'cuda';

/**
 * One text ready for the model: its token ids ([CLS] … [SEP]) and the token range of each entity to score;
 * null for an entity the model cannot see (truncated away, no token, or no entity head): it gets the whole
 * text's label.
 */
export interface EncodedText {
  ids: number[];
  entities: Array<[number, number] | null>;
}

export interface ModelOptions {
  modelDir: string;
  /** File inside modelDir; undefined: the provider's default (see defaultModelFile). */
  modelFile?: string | undefined;
  provider: ExecutionProvider;
  intraOpThreads: number;
  /**
   * Whether onnxruntime's intra-op threads busy-wait for the next run. Spinning shaves microseconds
   * off back-to-back runs but burns the cores the event loop (Kafka, JSON, tokenising) needs.
   */
  spinWait: boolean;
  /** Most items in one session.run (bounds padding waste and peak memory). */
  maxItemsPerRun: number;
  logger: Logger;
}

/**
 * The model file a provider runs when none is configured: int8 on CPU (dynamic quantisation is a
 * CPU technique; it costs under a point of accuracy, see the model card), and on CUDA the fp16
 * export where the model directory has one, else fp32, else int8 (whose quantised MatMuls CUDA
 * mostly hands back to the CPU).
 */
export function defaultModelFile(provider: ExecutionProvider, present: (file: string) => boolean): string {
  if (provider === 'cpu') return 'model.int8.onnx';
  return ['model.fp16.onnx', 'model.fp32.onnx'].find(present) ?? 'model.int8.onnx';
}

export class ClassifierModel {
  private constructor(
    private readonly session: InferenceThread,
    private readonly tokenizer: Tokenizer,
    readonly labels: ModelLabels,
    readonly provider: ExecutionProvider,
    /** The ONNX file loaded from the model directory. */
    readonly file: string,
    private readonly maxItemsPerRun: number,
    private readonly clsId: number,
    private readonly sepId: number,
    private readonly padId: number,
    /** The tokenizer's [UNK]: the share of it in a text is one of the drift measures. */
    readonly unknownId: number,
  ) {}

  get version(): string {
    return this.labels.model_version;
  }

  /** Whether the inference thread is running (false after it crashed). */
  get alive(): boolean {
    return this.session.alive;
  }

  get maxLength(): number {
    return this.labels.max_length;
  }

  /** Whether the model scores entities itself; without an entity head each entity gets the whole text's label. */
  get hasEntityHead(): boolean {
    return this.labels.outputs.includes('entity_logits');
  }

  static async load(o: ModelOptions): Promise<ClassifierModel> {
    const read = async (name: string) => {
      try {
        return await readFile(join(o.modelDir, name));
      } catch (err) {
        throw new FinsentError(
          'FINSENT_ERR_MODEL_MISSING',
          `cannot read ${join(o.modelDir, name)}: ${errorMessage(err)}`,
          { cause: err },
        );
      }
    };
    const labels = ModelLabelsSchema.parse(JSON.parse((await read('labels.json')).toString('utf8')));
    checkLabelsContract(labels, NORMALISATION_VERSION);
    const tokenizer = new Tokenizer(
      JSON.parse((await read('tokenizer.json')).toString('utf8')),
      JSON.parse((await read('tokenizer_config.json')).toString('utf8')),
    );
    const idOf = (token: string) => {
      const id = tokenizer.token_to_id(token);
      if (id === undefined || id === null)
        throw new FinsentError('FINSENT_ERR_MODEL_CONTRACT', `tokenizer has no ${token} token`);
      return id;
    };
    const modelFile = o.modelFile ?? defaultModelFile(o.provider, (f) => existsSync(join(o.modelDir, f)));
    const modelBytes = await read(modelFile);
    const session = await InferenceThread.start({
      modelBytes,
      provider: o.provider,
      intraOpThreads: o.intraOpThreads,
      spinWait: o.spinWait,
      logger: o.logger,
    });
    const provider = session.provider;
    for (const name of labels.outputs) {
      if (!session.outputNames.includes(name)) {
        await session.close();
        throw new FinsentError(
          'FINSENT_ERR_MODEL_CONTRACT',
          `ONNX graph has no output ${name} (has ${session.outputNames.join(', ')})`,
        );
      }
    }
    o.logger.info(
      {
        model: labels.model_version,
        file: modelFile,
        provider,
        threads: o.intraOpThreads,
        spinWait: o.spinWait,
        maxLength: labels.max_length,
      },
      'model loaded',
    );
    return new ClassifierModel(
      session,
      tokenizer,
      labels,
      provider,
      modelFile,
      o.maxItemsPerRun,
      idOf('[CLS]'),
      idOf('[SEP]'),
      idOf('[PAD]'),
      idOf('[UNK]'),
    );
  }

  /** Token ids ([CLS] … [SEP]) of one text, truncated to the model's max length, and its entities' token ranges. */
  encode(text: string, spans: readonly CharSpan[] = []): EncodedText {
    const normalised = normaliseText(text);
    const ids: number[] = this.tokenizer.encode(normalised, { add_special_tokens: false }).ids;
    const body = ids.slice(0, this.maxLength - 2);
    const full = [this.clsId, ...body, this.sepId];
    if (!this.hasEntityHead || spans.length === 0) return { ids: full, entities: spans.map(() => null) };
    const count = (prefix: string) => this.tokenizer.encode(prefix, { add_special_tokens: false }).ids.length;
    // A long text: find where its window ends once, so no entity past it costs a tokenisation of its prefix.
    const window = ids.length > body.length ? windowEnd(normalised, body.length, count) : Infinity;
    return { ids: full, entities: entityTokenRanges(text, normalised, spans, count, full.length, window) };
  }

  /** Predictions for pre-tokenised inputs, in input order. */
  async predictEncoded(encoded: EncodedText[]): Promise<Prediction[]> {
    const order = encoded.map((_, i) => i).sort((a, b) => encoded[a]!.ids.length - encoded[b]!.ids.length);
    const out = new Array<Prediction>(encoded.length);
    for (let start = 0; start < order.length; start += this.maxItemsPerRun) {
      const run = order.slice(start, start + this.maxItemsPerRun);
      const predictions = await this.runPadded(run.map((i) => encoded[i]!));
      run.forEach((itemIndex, k) => (out[itemIndex] = predictions[k]!));
    }
    return out;
  }

  /** Predictions for texts, in input order; `spans[i]` are the entities of `texts[i]` to score (none if absent). */
  async predict(texts: string[], spans: ReadonlyArray<readonly CharSpan[]> = []): Promise<Prediction[]> {
    return this.predictEncoded(texts.map((t, i) => this.encode(t, spans[i] ?? [])));
  }

  private async runPadded(batch: EncodedText[]): Promise<Prediction[]> {
    const width = Math.max(...batch.map((e) => e.ids.length));
    const ids = new BigInt64Array(batch.length * width).fill(BigInt(this.padId));
    const mask = new BigInt64Array(batch.length * width);
    batch.forEach((row, r) => {
      row.ids.forEach((id, c) => {
        ids[r * width + c] = BigInt(id);
        mask[r * width + c] = 1n;
      });
    });
    const entityMask = this.hasEntityHead ? entityMaskOf(batch, width) : undefined;
    const out = await this.session.run(ids, mask, [batch.length, width], entityMask);
    return batch.map((row, r) => {
      const p = predictionAt(out.sentiment, out.topic, r);
      const own =
        out.entity && entityMask ? entityPredictionsAt(out.entity, r, entityMask.entities, row.entities.length) : [];
      const entities = row.entities.map((range, e) =>
        range && own[e] ? own[e] : { sentiment: p.sentiment, sentiment_scores: p.sentiment_scores },
      );
      return { ...p, entities };
    });
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}

/** The [rows, entities, width] float mask of a run: 1 on each entity's tokens; one all-zero row when none has any. */
function entityMaskOf(batch: EncodedText[], width: number): EntityMaskInput {
  const entities = Math.max(1, ...batch.map((e) => e.entities.length));
  const data = new Float32Array(batch.length * entities * width);
  batch.forEach((row, r) => {
    row.entities.forEach(
      (range, e) => range && data.fill(1, (r * entities + e) * width + range[0], (r * entities + e) * width + range[1]),
    );
  });
  return { data, entities };
}
