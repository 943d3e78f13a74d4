import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { consumerLagGauge, deadLetterCounter } from '@finsent/shared';

export function storeMetrics(registry: Registry) {
  return {
    rowsInserted: new Counter({
      name: 'finsent_store_rows_inserted_total',
      help: 'Rows inserted into ClickHouse',
      labelNames: ['table'],
      registers: [registry],
    }),
    insertSeconds: new Histogram({
      name: 'finsent_store_insert_seconds',
      help: 'Duration of one successful insert',
      labelNames: ['table'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    insertFailures: new Counter({
      name: 'finsent_store_insert_failures_total',
      help: 'Failed insert attempts (each is retried)',
      labelNames: ['table'],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'finsent_store_batch_rows',
      help: 'Rows per insert',
      labelNames: ['table'],
      buckets: [1, 10, 50, 100, 500, 1000, 5000, 20000],
      registers: [registry],
    }),
    deadLetters: deadLetterCounter(registry),
    publishToStoreSeconds: new Histogram({
      name: 'finsent_store_end_to_end_seconds',
      help: 'From fetch by ingest to row inserted',
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    }),
    redeliveredRows: new Counter({
      name: 'finsent_store_redelivered_items_total',
      help: 'Scored items skipped because their id was already stored (at-least-once redelivery)',
      registers: [registry],
    }),
    consumerLag: consumerLagGauge(registry),
    lastInsertUnixSeconds: new Gauge({
      name: 'finsent_store_last_insert_timestamp_seconds',
      help: 'When the last insert succeeded',
      registers: [registry],
    }),
  };
}
export type StoreMetrics = ReturnType<typeof storeMetrics>;
