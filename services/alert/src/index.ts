import {
  CONSUMER_GROUPS,
  TOPIC_NAMES,
  TOPIC_SPECS,
  createKafkajsBus,
  createLogger,
  companyNames,
  createRegistry,
  reportConsumerLag,
  startOpsServer,
  watchConsumers,
  type Logger,
  type RunningService,
} from '@finsent/shared';
import { detectorConfig, type AlertConfig } from './config.js';
import { alertMetrics } from './metrics.js';
import { WebhookNotifier, type Notifier } from './webhook-notifier.js';
import { SlackNotifier } from './slack-notifier.js';
import { createDispatcher } from './dispatch.js';
import { BUILT_IN_RECEIVERS, loadRoutes, routeToAll, type ReceiverSpec } from './routing.js';
import { SilenceBook, followSilences } from './silences.js';
import { AlertWorker } from './worker.js';
import { SignalFanOut } from './fan-out.js';
import { SIGNALS_TOPIC, SIGNALS_TOPIC_SPEC } from './signals.js';

export { loadAlertConfig, alertConfigSchema, detectorConfig, type AlertConfig } from './config.js';
export { generateStream, type BacktestItem, type SpikeLabel } from './backtest/stream-generator.js';
export { formatStream, parseBacktestLine } from './backtest/ndjson.js';
export { runBacktest } from './backtest/run.js';
export { SpikeDetector, DEFAULT_DETECTOR_CONFIG } from './detector.js';
export { signBody } from './webhook-notifier.js';
export { AlertWorker } from './worker.js';
export { SignalFanOut } from './fan-out.js';
export { SIGNALS_TOPIC_SPEC, fanOut } from './signals.js';
export { alertMetrics } from './metrics.js';
export { WebhookNotifier, type Notifier } from './webhook-notifier.js';
export { SlackNotifier } from './slack-notifier.js';
export { createDispatcher, type Dispatcher } from './dispatch.js';
export { compileRoutes, loadRoutes, receiversFor } from './routing.js';
export {
  SILENCES_TOPIC,
  SilenceBook,
  followSilences,
  mutes,
  newSilence,
  readSilences,
  writeSilence,
  type Silence,
} from './silences.js';

export async function startAlert(
  config: AlertConfig,
  logger: Logger = createLogger('alert', config.LOG_LEVEL),
): Promise<RunningService> {
  const registry = createRegistry('alert');
  const metrics = alertMetrics(registry);
  const delivery = {
    maxAttempts: config.ALERT_DELIVERY_ATTEMPTS,
    timeoutMs: config.ALERT_DELIVERY_TIMEOUT_MS,
    baseBackoffMs: 500,
    logger,
  };
  const builtIn: ReceiverSpec[] = [];
  if (config.ALERT_WEBHOOK_URL)
    builtIn.push({
      name: BUILT_IN_RECEIVERS.webhook,
      kind: 'webhook',
      url: config.ALERT_WEBHOOK_URL,
      secret: config.ALERT_WEBHOOK_SECRET,
    });
  if (config.SLACK_WEBHOOK_URL)
    builtIn.push({ name: BUILT_IN_RECEIVERS.slack, kind: 'slack', url: config.SLACK_WEBHOOK_URL });
  const routes = config.ALERT_ROUTES_FILE
    ? loadRoutes(config.ALERT_ROUTES_FILE, process.env, builtIn)
    : routeToAll(builtIn);
  const names = companyNames();
  const notifiers = new Map<string, Notifier>(
    [...routes.receivers.values()].map((r) => [
      r.name,
      r.kind === 'slack'
        ? new SlackNotifier(r.url, { ...delivery, grafanaUrl: config.GRAFANA_URL, companyNames: names }, r.name)
        : new WebhookNotifier(r.url, r.secret, delivery, r.name),
    ]),
  );
  if (notifiers.size === 0)
    logger.warn(
      'no receiver (ALERT_WEBHOOK_URL, SLACK_WEBHOOK_URL or ALERT_ROUTES_FILE): alerts go to the alerts topic and the log only',
    );
  const bus = createKafkajsBus({
    brokers: config.KAFKA_BROKERS,
    clientId: config.KAFKA_CLIENT_ID ?? 'finsent-alert',
    logger,
  });
  await bus.ensureTopics([...TOPIC_SPECS, SIGNALS_TOPIC_SPEC]);
  const consumers = watchConsumers(bus);
  const silences = new SilenceBook();
  const following = await followSilences({ bus, book: silences, logger });
  // Two stages, each its own consumer group: the fan-out re-keys scored items into signals, the
  // worker detects on the signals partitions it owns (so each key has exactly one owner).
  const fanOutStage = new SignalFanOut({ bus, metrics, logger });
  const worker = new AlertWorker({
    bus,
    detectorConfig: detectorConfig(config),
    notifiers: [...notifiers.values()],
    logger,
    metrics,
    dispatch: createDispatcher({ table: routes, notifiers, silences }),
  });
  await worker.start();
  await fanOutStage.start();
  const stopLagReports = [
    reportConsumerLag(bus, metrics.consumerLag, CONSUMER_GROUPS.alertFanOut, [TOPIC_NAMES.scored]),
    reportConsumerLag(bus, metrics.consumerLag, CONSUMER_GROUPS.alert, [SIGNALS_TOPIC]),
  ];
  const ops = await startOpsServer({
    port: config.ALERT_PORT,
    host: config.OPS_HOST,
    registry,
    health: () => ({ ...consumers.health(), receivers: [...notifiers.keys()], partitions: worker.partitions }),
  });
  return {
    name: 'alert',
    opsUrl: ops.url,
    failure: consumers.failure,
    async stop() {
      for (const stopReports of stopLagReports) stopReports();
      // Upstream first: what the fan-out published before it stopped is still detected.
      await fanOutStage.stop();
      await worker.stop();
      await following.close();
      await ops.close();
    },
  };
}
