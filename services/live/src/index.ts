/**
 * The live view: the market's and each topic's negative share against its baseline, the latest alerts, the most
 * negative headlines of the last hour and a page per ticker, in a browser, updated as data arrives. It only reads:
 * from a ClickHouse server, or from the running store's read-only endpoint on the embedded default.
 */
import {
  ConfigError,
  companyNames,
  createKafkajsBus,
  createLogger,
  createRegistry,
  startOpsServer,
  type Logger,
  type RunningService,
} from '@finsent/shared';
import { correctionsHandler } from './corrections.js';
import type { LiveConfig } from './config.js';
import { liveMetrics } from './metrics.js';
import { readOverview, readTicker, type Overview, type TickerView, type ViewOptions } from './queries.js';
import { ClickHouseReader } from './reader.js';
import { liveRoutes, viewKey } from './routes.js';
import { ViewCache } from './view-cache.js';

export { loadLiveConfig, liveConfigSchema, type LiveConfig } from './config.js';
export type { Overview, TickerView } from './queries.js';

export interface LiveService extends RunningService {
  /** The page's address. */
  url: string;
}

/** Reads failing this long make /healthz answer 503. */
const UNHEALTHY_AFTER_MS = 60_000;

export async function startLive(
  config: LiveConfig,
  logger: Logger = createLogger('live', config.LOG_LEVEL),
): Promise<LiveService> {
  const registry = createRegistry('live');
  const metrics = liveMetrics(registry);
  const reader = new ClickHouseReader(config);
  const options: ViewOptions = { historyMinutes: config.LIVE_HISTORY_HOURS * 60, companyNames: companyNames() };

  const load = async (key: string) => {
    const view = key === viewKey.overview ? 'overview' : 'ticker';
    const timer = metrics.readSeconds.startTimer({ view });
    const wasFailing = reader.failingSince !== undefined;
    try {
      const result = await reader.read<Overview | TickerView>((client) =>
        view === 'overview' ? readOverview(client, options) : readTicker(client, key.slice('ticker:'.length), options),
      );
      metrics.reads.inc({ view });
      if (wasFailing) logger.info({ view: key }, 'ClickHouse readable again');
      return result;
    } catch (err) {
      metrics.readFailures.inc({ view });
      // Logged when reads start failing, not at every refresh of every view.
      if (!wasFailing)
        logger.warn({ err, view: key }, 'cannot read the view from ClickHouse; the page shows the last one it had');
      throw err;
    } finally {
      timer();
    }
  };
  const loopback = ['127.0.0.1', '::1', 'localhost'].includes(config.OPS_HOST);
  if (config.LIVE_CORRECTIONS && !loopback && !config.LIVE_CORRECTIONS_TOKEN) {
    throw new ConfigError('live', [
      'LIVE_CORRECTIONS_TOKEN: required when the view listens beyond loopback (OPS_HOST) and takes corrections; or set LIVE_CORRECTIONS=false',
    ]);
  }
  const corrections = config.LIVE_CORRECTIONS
    ? correctionsHandler({
        bus: createKafkajsBus({ brokers: config.KAFKA_BROKERS, clientId: 'finsent-live', logger }),
        reader,
        token: config.LIVE_CORRECTIONS_TOKEN,
        metrics,
        logger,
      })
    : undefined;
  const routes = liveRoutes({
    cache: new ViewCache(load, config.LIVE_REFRESH_MS),
    metrics,
    logger,
    refreshMs: config.LIVE_REFRESH_MS,
    maxViewers: config.LIVE_MAX_VIEWERS,
    corrections: corrections && { handle: corrections.handle, tokenRequired: Boolean(config.LIVE_CORRECTIONS_TOKEN) },
  });

  const ops = await startOpsServer({
    port: config.LIVE_PORT,
    host: config.OPS_HOST,
    registry,
    health: () => {
      const failingForMs = reader.failingSince === undefined ? 0 : Date.now() - reader.failingSince;
      return {
        ok: failingForMs < UNHEALTHY_AFTER_MS,
        clickhouse: config.CLICKHOUSE_URL ? 'server' : 'store read endpoint',
        readFailingForMs: failingForMs,
        ...(reader.lastError ? { lastError: reader.lastError } : {}),
      };
    },
    fallback: routes.handle,
  });
  logger.info({ url: `${ops.url}/` }, 'live view listening');

  return {
    name: 'live',
    opsUrl: ops.url,
    url: `${ops.url}/`,
    async stop() {
      routes.closeStreams();
      await ops.close();
      await corrections?.close();
      await reader.close();
    },
  };
}
