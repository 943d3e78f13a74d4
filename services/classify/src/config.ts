import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { commonConfigShape, env, loadConfig } from '@finsent/shared';

/** The model shipped in the repo (models/finsent-bge-small, see its MODEL_CARD.md). */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../../../models/finsent-bge-small/', import.meta.url));

export const classifyConfigSchema = z.object({
  ...commonConfigShape,
  CLASSIFY_PORT: env.port(9402).describe('port of /metrics and /healthz'),
  MODEL_DIR: env
    .str(DEFAULT_MODEL_DIR)
    .describe('the model folder (see its MODEL_CARD.md); models/finsent-minilm is the earlier, faster one'),
  MODEL_FILE: z
    .string()
    .min(1)
    .optional()
    .describe(
      'file in MODEL_DIR; unset: model.int8.onnx on cpu, the first of model.fp16/fp32/int8.onnx present on cuda',
    ),
  ORT_PROVIDER: z
    .enum(['cpu', 'cuda'], { error: 'must be cpu or cuda' })
    .default('cpu')
    .describe('onnxruntime execution provider; cuda falls back to cpu with a log line when it cannot load'),
  ORT_INTRA_OP_THREADS: env
    .int(Math.max(1, Math.min(availableParallelism(), 8)), 1, 256)
    .describe('onnxruntime intra-op threads (default: the cores, at most 8)'),
  ORT_SPIN_WAIT: env.bool(false).describe('let onnxruntime threads busy-wait between runs (see docs/performance.md)'),
  CLASSIFY_BATCH_MAX: env.int(64, 1, 4_096).describe('items per model call at most'),
  CLASSIFY_BATCH_WAIT_MS: env.int(25, 0, 10_000).describe('longest an item waits for a batch to fill'),
  DRIFT_WINDOW_ITEMS: env
    .int(1_000, 50, 100_000)
    .describe('items per source in the drift window (docs/operations.md, Drift)'),
  SHADOW_MODEL_DIR: z
    .string()
    .min(1)
    .optional()
    .describe(
      'a candidate model scored in shadow beside the live one (docs/operations.md, Shadow scoring); unset: none',
    ),
  SHADOW_MODEL_FILE: z.string().min(1).optional().describe('file in SHADOW_MODEL_DIR; unset: chosen as for MODEL_FILE'),
  SHADOW_SAMPLE: env.num(0.1, 0, 1).describe('share of items the candidate scores, chosen by item id'),
  SHADOW_INTRA_OP_THREADS: env
    .int(1, 1, 256)
    .describe('onnxruntime threads of the candidate (kept small: the live model comes first)'),
  SHADOW_MAX_QUEUE: env
    .int(2_000, 1, 1_000_000)
    .describe('sampled items waiting for the candidate at most; more are dropped and counted'),
});
export type ClassifyConfig = z.infer<typeof classifyConfigSchema>;

export const loadClassifyConfig = (e: Record<string, string | undefined> = process.env) =>
  loadConfig('classify', classifyConfigSchema, e);
