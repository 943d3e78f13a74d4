import { join } from 'node:path';
import {
  CONSUMER_GROUPS,
  TOPIC_SPECS,
  createClickHouse,
  openEmbeddedReader,
  READ_URL_FILE,
  createKafkajsBus,
  createLogger,
  createRegistry,
  reportConsumerLag,
  startOpsServer,
  watchConsumers,
  type Bus,
  type ClickHouseClient,
  type Logger,
  type RunningService,
} from '@finsent/shared';
import type { StoreConfig } from './config.js';
import { storeMetrics } from './metrics.js';
import { migrate } from './migrations.js';
import { ClickHouseSink, STORE_TOPICS } from './sink.js';
import { startReadEndpoint, type ReadEndpoint } from './read-endpoint.js';

export { loadStoreConfig, storeConfigSchema, type StoreConfig } from './config.js';
export { migrate, MIGRATIONS } from './migrations.js';

export interface StoreService extends RunningService {
  /** The service's ClickHouse client (the only one allowed on an embedded database). */
  client: ClickHouseClient;
  /** The read-only SQL endpoint of the embedded database (undefined with a ClickHouse server). */
  readUrl: string | undefined;
}

/** Where the embedded ClickHouse keeps its data: the writer's and the read endpoint's session share it. */
const embeddedDataPath = (config: StoreConfig) => join(config.FINSENT_DATA_DIR, 'clickhouse');

export function openClickHouse(config: StoreConfig) {
  return createClickHouse({
    url: config.CLICKHOUSE_URL,
    username: config.CLICKHOUSE_USER,
    password: config.CLICKHOUSE_PASSWORD,
    database: config.CLICKHOUSE_DATABASE,
    dataPath: embeddedDataPath(config),
  });
}

export async function startStore(
  config: StoreConfig,
  logger: Logger = createLogger('store', config.LOG_LEVEL),
  deps: { bus?: Bus } = {},
): Promise<StoreService> {
  const { client, mode, target } = await openClickHouse(config);
  const applied = await migrate(client, { textTtlDays: config.TEXT_TTL_DAYS });
  logger.info({ clickhouse: mode, target, migrationsApplied: applied }, 'ClickHouse ready');

  const registry = createRegistry('store');
  const metrics = storeMetrics(registry);
  const bus =
    deps.bus ??
    createKafkajsBus({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID ?? 'finsent-store', logger });
  await bus.ensureTopics(TOPIC_SPECS);
  const consumers = watchConsumers(bus);
  const sink = new ClickHouseSink({
    bus,
    client,
    logger,
    metrics,
    batchMax: config.STORE_BATCH_MAX,
    batchWaitMs: config.STORE_BATCH_WAIT_MS,
  });
  await sink.start();

  const stopLagReports = reportConsumerLag(bus, metrics.consumerLag, CONSUMER_GROUPS.store, STORE_TOPICS);

  const ops = await startOpsServer({
    port: config.STORE_PORT,
    host: config.OPS_HOST,
    registry,
    health: () => {
      const failingForMs = sink.failingSince === undefined ? 0 : Date.now() - sink.failingSince;
      const kafka = consumers.health();
      return { ...kafka, ok: kafka.ok && failingForMs < 60_000, clickhouse: mode, insertFailingForMs: failingForMs };
    },
  });

  // The embedded database is this process's alone: analysts read it through this endpoint while the store runs.
  let read: ReadEndpoint | undefined;
  let reader: ClickHouseClient | undefined;
  if (mode === 'embedded') {
    reader = await openEmbeddedReader(embeddedDataPath(config));
    read = await startReadEndpoint({
      client: reader,
      port: config.STORE_SQL_PORT,
      urlFile: join(config.FINSENT_DATA_DIR, READ_URL_FILE),
      logger,
    });
  }

  return {
    name: 'store',
    opsUrl: ops.url,
    readUrl: read?.url,
    failure: consumers.failure,
    client,
    async stop() {
      stopLagReports();
      await sink.stop();
      await ops.close();
      await read?.close();
      await reader?.close();
      await client.close();
    },
  };
}
