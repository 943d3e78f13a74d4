import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export function liveMetrics(registry: Registry) {
  return {
    viewers: new Gauge({
      name: 'finsent_live_viewers',
      help: 'Open live connections (server-sent event streams)',
      registers: [registry],
    }),
    reads: new Counter({
      name: 'finsent_live_reads_total',
      help: 'Views read from ClickHouse',
      labelNames: ['view'],
      registers: [registry],
    }),
    readFailures: new Counter({
      name: 'finsent_live_read_failures_total',
      help: 'Views that could not be read from ClickHouse',
      labelNames: ['view'],
      registers: [registry],
    }),
    readSeconds: new Histogram({
      name: 'finsent_live_read_seconds',
      help: 'Duration of reading one view',
      labelNames: ['view'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    corrections: new Counter({
      name: 'finsent_live_corrections_total',
      help: 'Corrections posted from the page, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    refused: new Counter({
      name: 'finsent_live_refused_total',
      help: 'Live connections refused because LIVE_MAX_VIEWERS were open',
      registers: [registry],
    }),
  };
}
export type LiveMetrics = ReturnType<typeof liveMetrics>;
