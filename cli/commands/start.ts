/**
 * finsent start: the whole pipeline on one machine with embedded defaults.
 *
 * Starts a local Kafka broker (KRaft, official jars), the store service in this process (it owns
 * the embedded ClickHouse; with CLICKHOUSE_URL it runs as its own process like the others), the
 * classify, alert and ingest services as child processes, and a local webhook sink that prints
 * alerts; then replays the bundled sample of headlines. Ctrl-C stops everything in order:
 * ingest, classify, alert, store (each commits what it processed), then the broker.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { createKafkajsBus, errorMessage, sleep, type Alert } from '@finsent/shared';
import { loadStoreConfig, startStore, type StoreService } from '@finsent/store';
import {
  ensureKafkaJars,
  releaseBrokerDataDir,
  startKafkaBroker,
  type KafkaBroker,
} from '../../devkit/kafka/broker.js';
import { ServiceProcess, type ServiceName } from '../../devkit/service-process.js';
import { startWebhookSink, type WebhookSink } from '../../devkit/webhook-sink.js';
import { replayFile } from './replay.js';
import { parseCommand } from '../args.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SAMPLE = join(ROOT, 'cli/sample/headlines.ndjson');
/** How often a service that exits on its own is started again before the supervisor gives up on it. */
const MAX_SERVICE_RESTARTS = 5;

const HELP = `Usage: finsent start [--data DIR] [--kafka-port N] [--speedup X] [--no-sample] [--no-feeds] [--fresh]

Runs the whole pipeline locally until Ctrl-C:
  Kafka (KRaft, 127.0.0.1:--kafka-port, default 9092) → ingest → classify → store (ClickHouse) → alert.
  --data DIR       where Kafka and embedded ClickHouse keep their data (default .finsent)
  --speedup X      replay the bundled 6-hour sample X times faster (default 300: about 70 s)
  --no-sample      do not replay the sample
  --no-feeds       do not poll the configured RSS feeds (FEEDS_FILE / FEEDS)
  --fresh          delete the data folder first
Alerts go to ALERT_WEBHOOK_URL if set, else to a local sink that prints them here.
Live view (charts, alerts, headlines, ticker pages): http://127.0.0.1:9405/ (LIVE_PORT).
Service logs: <data>/logs/<service>.log. Metrics: http://127.0.0.1:9401-9405/metrics.
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand('start', HELP, {
    args: argv,
    options: {
      data: { type: 'string', default: '.finsent' },
      'kafka-port': { type: 'string', default: '9092' },
      speedup: { type: 'string', default: '300' },
      'no-sample': { type: 'boolean' },
      'no-feeds': { type: 'boolean' },
      fresh: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const dataDir = resolve(values.data!);
  if (values.fresh) {
    try {
      await releaseBrokerDataDir(join(dataDir, 'kafka'), (m) => process.stdout.write(`[finsent] ${m}\n`));
    } catch (err) {
      process.stderr.write(`finsent start: ${errorMessage(err)}\n`);
      return 1;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const say = (msg: string) => process.stdout.write(`[finsent] ${msg}\n`);

  let broker: KafkaBroker | undefined;
  let store: StoreService | undefined;
  let sink: WebhookSink | undefined;
  const children: ServiceProcess[] = [];
  let shuttingDown = false;
  let stopped: Promise<void> | undefined;

  // One shutdown however many signals arrive: npm forwards SIGINT on top of the terminal's own,
  // and an impatient second Ctrl-C must not exit while the store is still committing.
  const shutdown = (): Promise<void> =>
    (stopped ??= (async () => {
      shuttingDown = true;
      say('stopping (each service commits what it processed)…');
      for (const name of ['live', 'ingest', 'classify', 'alert', 'store']) {
        await children.find((x) => x.name === name)?.stop();
        if (name === 'store' && store) await store.stop();
      }
      await sink?.close();
      await broker?.stop();
      say('stopped');
    })());
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(sig, () => void shutdown().then(() => process.exit(0)));

  try {
    say('fetching Kafka jars if needed (Maven, first run only)…');
    await ensureKafkaJars({ log: (m) => say(m) });
    broker = await startKafkaBroker({
      dataDir: join(dataDir, 'kafka'),
      port: Number(values['kafka-port']),
      logFile: join(logDir, 'kafka.log'),
    });
    say(`Kafka up on ${broker.brokers}`);

    const alertsSeen: Alert[] = [];
    const webhook = process.env.ALERT_WEBHOOK_URL;
    if (!webhook) {
      sink = await startWebhookSink({
        onAlert: (a) => {
          alertsSeen.push(a);
          say(
            `ALERT ${a.severity.toUpperCase()} negative spike in ${a.scope} ${a.key}: ${(a.negative_share * 100).toFixed(0)}% negative (baseline ${(a.baseline_share * 100).toFixed(0)}%, z=${a.z_score}) over ${a.window_start.slice(11, 16)}–${a.window_end.slice(11, 16)} UTC`,
          );
          for (const h of a.headlines.slice(0, 3)) say(`    · ${h.title}`);
        },
      });
      say(`webhook sink listening at ${sink.url}`);
    }
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KAFKA_BROKERS: broker.brokers,
      FINSENT_DATA_DIR: join(dataDir, 'data'),
      ALERT_WEBHOOK_URL: webhook ?? sink!.url,
      ...(values['no-feeds'] ? { FEEDS_ENABLED: 'false' } : {}),
    };

    const startService = async (name: ServiceName, port: number) => {
      const service = new ServiceProcess(name, port, env, join(logDir, `${name}.log`));
      let restarts = 0;
      // As systemd's Restart=on-failure would: a service exits when it can no longer work (a Kafka consumer
      // stopped for good, say) and starts again from its committed offsets; a crash loop gives up.
      service.onUnexpectedExit = (code, signal) => {
        if (shuttingDown) return;
        say(`${name} exited unexpectedly (code ${code}, signal ${signal}); see ${service.logFile}`);
        if (++restarts > MAX_SERVICE_RESTARTS) return say(`${name} exited ${restarts} times; not restarting it again`);
        say(`restarting ${name} (${restarts} of ${MAX_SERVICE_RESTARTS})`);
        void sleep(1_000 * restarts)
          .then(() => (shuttingDown ? undefined : service.start()))
          .then(() => !shuttingDown && say(`${name} healthy again`))
          .catch((err: unknown) => say(`${name} did not restart: ${errorMessage(err)}`));
      };
      children.push(service);
      await service.start();
      return service;
    };

    if (process.env.CLICKHOUSE_URL) {
      await startService('store', 9403);
    } else {
      const storeLogger = pino(
        { name: 'store', base: { service: 'store' }, timestamp: pino.stdTimeFunctions.isoTime },
        pino.destination(join(logDir, 'store.log')),
      );
      store = await startStore(loadStoreConfig(env), storeLogger);
      void store.failure?.then((err) => {
        if (shuttingDown) return;
        say(
          `store cannot go on: ${err.message}; stopping the pipeline (start it again to resume from the committed offsets)`,
        );
        void shutdown().then(() => process.exit(1));
      });
    }
    say(
      `store up (ClickHouse ${process.env.CLICKHOUSE_URL ? 'server' : `embedded at ${join(dataDir, 'data/clickhouse')}; read-only SQL over HTTP at ${store?.readUrl}`})`,
    );
    await Promise.all([startService('classify', 9402), startService('alert', 9404)]);
    await startService('ingest', 9401);
    const liveView = await startService('live', Number(env.LIVE_PORT ?? 9405));
    say(
      'all services healthy: ingest :9401, classify :9402, store :9403, alert :9404, live :9405 (/metrics, /healthz)',
    );
    say(`live view: http://127.0.0.1:${liveView.opsPort}/`);

    let lastStatus = '';
    const status = async () => {
      if (shuttingDown) return;
      const line = store ? await statusLine(store, alertsSeen.length) : '';
      if (line && line !== lastStatus) say(line);
      lastStatus = line;
    };
    const statusTimer = setInterval(() => void status(), 10_000);
    statusTimer?.unref();
    if (!values['no-sample']) {
      const speedup = Number(values.speedup);
      say(`replaying the bundled sample (6 hours of headlines, ${speedup}x)…`);
      const logger = pino({ level: 'warn' }, pino.destination(join(logDir, 'replay.log')));
      const totals = await replayFile({
        file: SAMPLE,
        speedup,
        bus: createKafkajsBus({ brokers: [broker.brokers], clientId: 'finsent-replay', logger }),
        logger,
        progress: false,
      });
      say(`sample replayed: ${totals.published} items published, ${totals.duplicates} exact duplicates dropped`);
      await sleep(15_000);
      await status();
    }
    say(
      'pipeline running; Ctrl-C to stop. Try, from another shell: finsent query "SELECT topic, sum(total) n, round(sum(negative)/n, 2) neg FROM v_topic_sentiment_minute GROUP BY topic ORDER BY n DESC"',
    );
    await new Promise(() => undefined);
    return 0;
  } catch (err) {
    say(`failed: ${errorMessage(err)}`);
    await shutdown();
    return 1;
  }
}

async function statusLine(store: StoreService, alerts: number): Promise<string> {
  try {
    const rs = await store.client.query({
      query: `SELECT topic, sum(total) AS items, round(sum(negative) / items, 2) AS negative_share
              FROM v_topic_sentiment_minute GROUP BY topic ORDER BY items DESC LIMIT 5`,
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ topic: string; items: string; negative_share: number }>();
    const total = await (
      await store.client.query({
        query: 'SELECT count() AS n, uniqExact(minute) AS minutes FROM v_topic_sentiment_minute',
        format: 'JSONEachRow',
      })
    ).json<{ n: string; minutes: string }>();
    const items = await (
      await store.client.query({ query: 'SELECT count() AS n FROM v_items', format: 'JSONEachRow' })
    ).json<{ n: string }>();
    return `ClickHouse: ${items[0]?.n ?? 0} items scored, ${total[0]?.minutes ?? 0} trend minutes; alerts delivered: ${alerts}; top topics: ${rows.map((r) => `${r.topic} ${r.items} (${Math.round(r.negative_share * 100)}% neg)`).join(', ')}`;
  } catch (err) {
    return `status query failed: ${errorMessage(err)}`;
  }
}
