import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { consumerLagGauge, deadLetterCounter } from '@finsent/shared';

export function classifyMetrics(registry: Registry) {
  return {
    itemsScored: new Counter({
      name: 'finsent_classify_items_total',
      help: 'Items scored',
      labelNames: ['sentiment', 'topic'],
      registers: [registry],
    }),
    deadLetters: deadLetterCounter(registry),
    batchSize: new Histogram({
      name: 'finsent_classify_batch_items',
      help: 'Items per model batch',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [registry],
    }),
    inferSeconds: new Histogram({
      name: 'finsent_classify_inference_seconds',
      help: 'Model time per batch (tokenisation happens before, per Kafka batch)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    itemLatencySeconds: new Histogram({
      name: 'finsent_classify_item_latency_seconds',
      help: 'From Kafka append of the raw item to its scored item published',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    consumerLag: consumerLagGauge(registry),
    shadowScored: new Counter({
      name: 'finsent_classify_shadow_items_total',
      help: 'Items the shadow (candidate) model scored',
      registers: [registry],
    }),
    shadowDropped: new Counter({
      name: 'finsent_classify_shadow_dropped_total',
      help: 'Sampled items dropped because the shadow queue was full',
      registers: [registry],
    }),
    shadowFailures: new Counter({
      name: 'finsent_classify_shadow_failures_total',
      help: 'Sampled items the shadow model failed to score',
      registers: [registry],
    }),
    shadowQueue: new Gauge({
      name: 'finsent_classify_shadow_queue_items',
      help: 'Sampled items waiting for the shadow model',
      registers: [registry],
    }),
    modelInfo: new Gauge({
      name: 'finsent_classify_model_info',
      help: 'Loaded models (value 1): the live one and a shadow candidate',
      labelNames: ['model_version', 'provider', 'role'],
      registers: [registry],
    }),
  };
}
export type ClassifyMetrics = ReturnType<typeof classifyMetrics>;
