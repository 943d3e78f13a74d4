/**
 * The onnxruntime session, on its own thread (see inference-thread.ts for why).
 *
 * Plain JavaScript on purpose: a worker does not inherit the TypeScript loader the CLI registers
 * (tsx), and this file has to start the same way under the CLI, `node --import tsx` and vitest.
 *
 * Protocol (all messages are plain objects):
 *   in  workerData { modelBytes: Uint8Array, provider: 'cpu'|'cuda', sessionOptions }
 *   out { type: 'ready', provider, outputNames } | { type: 'fallback', error } (CUDA could not load)
 *       | { type: 'failed', error } (no session at all: the worker then exits)
 *   in  { id, ids: BigInt64Array, mask: BigInt64Array, dims: [rows, width], entityMask?: { data: Float32Array, entities } }
 *   out { id, sentiment: Float32Array, topic: Float32Array, entity?: Float32Array } | { id, error }
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

const { modelBytes, provider, sessionOptions } = workerData;
const create = (providers) =>
  ort.InferenceSession.create(modelBytes, { ...sessionOptions, executionProviders: providers });

let session;
let loaded = provider;
try {
  session = await create(provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu']);
} catch (err) {
  if (provider !== 'cuda') {
    parentPort.postMessage({ type: 'failed', error: String(err?.message ?? err) });
    process.exit(1);
  }
  parentPort.postMessage({ type: 'fallback', error: String(err?.message ?? err) });
  loaded = 'cpu';
  try {
    session = await create(['cpu']);
  } catch (cpuErr) {
    parentPort.postMessage({ type: 'failed', error: String(cpuErr?.message ?? cpuErr) });
    process.exit(1);
  }
}
parentPort.postMessage({ type: 'ready', provider: loaded, outputNames: session.outputNames });

parentPort.on('message', async (msg) => {
  if (msg.type === 'close') {
    await session.release();
    parentPort.close();
    return;
  }
  try {
    const feeds = {
      input_ids: new ort.Tensor('int64', msg.ids, msg.dims),
      attention_mask: new ort.Tensor('int64', msg.mask, msg.dims),
    };
    if (msg.entityMask) {
      feeds.entity_mask = new ort.Tensor('float32', msg.entityMask.data, [
        msg.dims[0],
        msg.entityMask.entities,
        msg.dims[1],
      ]);
    }
    const result = await session.run(feeds);
    parentPort.postMessage({
      id: msg.id,
      sentiment: result.sentiment_logits.data,
      topic: result.topic_logits.data,
      entity: result.entity_logits?.data,
    });
  } catch (err) {
    parentPort.postMessage({ id: msg.id, error: String(err?.message ?? err) });
  }
});
