/**
 * Runs the onnxruntime session on a worker thread.
 *
 * Why: onnxruntime-node's `session.run` is synchronous on the calling thread (its promise only
 * defers the call with setImmediate). On the event loop it blocks everything else for the whole
 * inference: Kafka fetches and produce acks, JSON, tokenising the next batch. Measured on the 2-core
 * machine, the service's main thread spent 63% of its time inside `run` and 25% idle waiting on the
 * broker, strictly one after the other. On a worker the two overlap (docs/performance.md).
 */
import { Worker } from 'node:worker_threads';
import { FinsentError, type Logger } from '@finsent/shared';

export interface InferenceThreadOptions {
  modelBytes: Uint8Array;
  provider: 'cpu' | 'cuda';
  intraOpThreads: number;
  spinWait: boolean;
  logger: Logger;
}

/** Logits of one run, row-major: [rows, 3], [rows, 20] and, for a model with an entity head, [rows, entities, 3]. */
export interface RunOutput {
  sentiment: Float32Array;
  topic: Float32Array;
  entity?: Float32Array;
}

/** The float [rows, entities, width] mask of the entity tokens, for a model with an entity head. */
export interface EntityMaskInput {
  data: Float32Array;
  entities: number;
}

interface Pending {
  resolve: (r: RunOutput) => void;
  reject: (e: Error) => void;
}

export class InferenceThread {
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private exitError: Error | undefined;
  private closing = false;

  private constructor(
    private readonly worker: Worker,
    readonly provider: 'cpu' | 'cuda',
    readonly outputNames: readonly string[],
    logger: Logger,
  ) {
    worker.on(
      'message',
      (m: { id: number; sentiment?: Float32Array; topic?: Float32Array; entity?: Float32Array; error?: string }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.error !== undefined)
          p.reject(new FinsentError('FINSENT_ERR_INFERENCE', `onnxruntime run failed: ${m.error}`));
        else p.resolve({ sentiment: m.sentiment!, topic: m.topic!, ...(m.entity ? { entity: m.entity } : {}) });
      },
    );
    const failAll = (err: Error) => {
      if (!this.closing && !this.exitError)
        logger.error({ err: err.message }, 'inference thread is gone: every batch now fails and /healthz reports 503');
      this.exitError = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) =>
      failAll(new FinsentError('FINSENT_ERR_INFERENCE', `inference thread crashed: ${err.message}`, { cause: err })),
    );
    worker.on('exit', (code) =>
      failAll(new FinsentError('FINSENT_ERR_INFERENCE', `inference thread exited (code ${code})`)),
    );
  }

  static start(o: InferenceThreadOptions): Promise<InferenceThread> {
    const worker = new Worker(new URL('./inference-worker.mjs', import.meta.url), {
      workerData: {
        modelBytes: o.modelBytes,
        provider: o.provider,
        sessionOptions: {
          intraOpNumThreads: o.intraOpThreads,
          interOpNumThreads: 1,
          graphOptimizationLevel: 'all',
          extra: { session: { intra_op: { allow_spinning: o.spinWait ? '1' : '0' } } },
        },
      },
    });
    return new Promise((resolve, reject) => {
      // Dying before 'ready' (e.g. onnxruntime's native library failing to load) must fail the
      // start, not leave it waiting forever.
      const onError = (err: Error) =>
        settle(() =>
          reject(
            new FinsentError('FINSENT_ERR_MODEL_LOAD', `inference thread failed to start: ${err.message}`, {
              cause: err,
            }),
          ),
        );
      const onExit = (code: number) =>
        settle(() =>
          reject(
            new FinsentError(
              'FINSENT_ERR_MODEL_LOAD',
              `inference thread exited (code ${code}) before the model loaded`,
            ),
          ),
        );
      const onMessage = (m: { type?: string; provider?: 'cpu' | 'cuda'; outputNames?: string[]; error?: string }) => {
        if (m.type === 'fallback')
          o.logger.warn(
            { err: m.error },
            'CUDA execution provider could not load; falling back to CPU (see README "GPU")',
          );
        if (m.type === 'failed')
          settle(() =>
            reject(new FinsentError('FINSENT_ERR_MODEL_LOAD', `onnxruntime could not load the model: ${m.error}`)),
          );
        if (m.type === 'ready')
          settle(() => resolve(new InferenceThread(worker, m.provider!, m.outputNames!, o.logger)));
      };
      const settle = (done: () => void) => {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
        done();
      };
      worker.on('message', onMessage).once('error', onError).once('exit', onExit);
    });
  }

  /** False once the thread has died (or was closed). */
  get alive(): boolean {
    return this.exitError === undefined;
  }

  /** One session.run on the worker; the input buffers are handed over (they are unusable here after). */
  run(
    ids: BigInt64Array,
    mask: BigInt64Array,
    dims: [number, number],
    entityMask?: EntityMaskInput,
  ): Promise<RunOutput> {
    if (this.exitError) return Promise.reject(this.exitError);
    const id = this.nextId++;
    const transfer = [ids.buffer as ArrayBuffer, mask.buffer as ArrayBuffer];
    if (entityMask) transfer.push(entityMask.data.buffer as ArrayBuffer);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, ids, mask, dims, entityMask }, transfer);
    });
  }

  async close(): Promise<void> {
    if (this.exitError) return;
    this.closing = true;
    const exited = new Promise((r) => this.worker.once('exit', r));
    this.worker.postMessage({ type: 'close' });
    await exited;
  }
}
