import {
  CONSUMER_GROUPS,
  TOPIC_NAMES,
  TOPIC_SPECS,
  createKafkajsBus,
  createLogger,
  createRegistry,
  reportConsumerLag,
  startOpsServer,
  watchConsumers,
  type Bus,
  type Logger,
  type RunningService,
} from '@finsent/shared';
import type { ClassifyConfig } from './config.js';
import { classifyMetrics, type ClassifyMetrics } from './metrics.js';
import { ClassifierModel } from './model.js';
import { ClassifyWorker } from './worker.js';
import { ShadowScorer } from './shadow.js';
import { DriftMonitor, loadDriftReference } from './drift-monitor.js';

export { loadClassifyConfig, classifyConfigSchema, DEFAULT_MODEL_DIR, type ClassifyConfig } from './config.js';
export { ClassifierModel, type EncodedText } from './model.js';
export { findTargets, type CharSpan } from './entity-spans.js';
export { inSample } from './shadow.js';
export { DRIFT_REFERENCE_FILE, DriftMonitor } from './drift-monitor.js';
export { DriftWindow, observeTexts, referenceOf, type DriftObservation, type DriftReference } from './drift.js';

export function loadModel(config: ClassifyConfig, logger: Logger): Promise<ClassifierModel> {
  return ClassifierModel.load({
    modelDir: config.MODEL_DIR,
    modelFile: config.MODEL_FILE,
    provider: config.ORT_PROVIDER,
    intraOpThreads: config.ORT_INTRA_OP_THREADS,
    spinWait: config.ORT_SPIN_WAIT,
    maxItemsPerRun: config.CLASSIFY_BATCH_MAX,
    logger,
  });
}

export async function startClassify(
  config: ClassifyConfig,
  logger: Logger = createLogger('classify', config.LOG_LEVEL),
): Promise<RunningService> {
  const model = await loadModel(config, logger);
  const registry = createRegistry('classify');
  const metrics = classifyMetrics(registry);
  metrics.modelInfo.set({ model_version: model.version, provider: model.provider, role: 'live' }, 1);
  const bus = createKafkajsBus({
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID ?? 'finsent-classify',
    logger,
  });
  await bus.ensureTopics(TOPIC_SPECS);
  const consumers = watchConsumers(bus);
  const shadow = config.SHADOW_MODEL_DIR ? await startShadow(config, model.version, bus, metrics, logger) : undefined;
  const drift = new DriftMonitor({
    registry,
    modelVersion: model.version,
    reference: loadDriftReference(config.MODEL_DIR, logger),
    windowItems: config.DRIFT_WINDOW_ITEMS,
  });
  drift.start();
  const worker = new ClassifyWorker({
    bus,
    model,
    logger,
    metrics,
    batchMax: config.CLASSIFY_BATCH_MAX,
    batchWaitMs: config.CLASSIFY_BATCH_WAIT_MS,
    shadow: shadow?.scorer,
    drift,
  });
  await worker.start();
  const stopLagReports = reportConsumerLag(bus, metrics.consumerLag, CONSUMER_GROUPS.classify, [TOPIC_NAMES.raw]);
  const ops = await startOpsServer({
    port: config.CLASSIFY_PORT,
    host: config.OPS_HOST,
    registry,
    health: () => {
      const kafka = consumers.health();
      return {
        ...kafka,
        ok: model.alive && kafka.ok,
        model: model.version,
        provider: model.provider,
        inferenceThread: model.alive ? 'running' : 'dead',
        ...(shadow ? { shadowModel: shadow.scorer.modelVersion, shadowSample: config.SHADOW_SAMPLE } : {}),
      };
    },
  });
  return {
    name: 'classify',
    opsUrl: ops.url,
    failure: consumers.failure,
    async stop() {
      stopLagReports();
      await worker.stop();
      drift.stop();
      await shadow?.stop();
      await ops.close();
      await model.close();
    },
  };
}

/** The candidate model, its producer and its scorer; it gets few threads, so the live model keeps the cores. */
async function startShadow(
  config: ClassifyConfig,
  liveModelVersion: string,
  bus: Bus,
  metrics: ClassifyMetrics,
  logger: Logger,
) {
  const model = await ClassifierModel.load({
    modelDir: config.SHADOW_MODEL_DIR!,
    modelFile: config.SHADOW_MODEL_FILE,
    provider: config.ORT_PROVIDER,
    intraOpThreads: config.SHADOW_INTRA_OP_THREADS,
    spinWait: false,
    maxItemsPerRun: config.CLASSIFY_BATCH_MAX,
    logger,
  });
  metrics.modelInfo.set({ model_version: model.version, provider: model.provider, role: 'shadow' }, 1);
  const producer = await bus.producer();
  const scorer = new ShadowScorer({
    model,
    liveModelVersion,
    share: config.SHADOW_SAMPLE,
    maxQueue: config.SHADOW_MAX_QUEUE,
    batchMax: config.CLASSIFY_BATCH_MAX,
    producer,
    metrics,
    logger,
  });
  logger.info(
    { shadow: model.version, live: liveModelVersion, sample: config.SHADOW_SAMPLE },
    'scoring a candidate model in shadow',
  );
  return {
    scorer,
    async stop() {
      await scorer.stop();
      await producer.close();
      await model.close();
    },
  };
}
