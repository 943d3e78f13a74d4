/**
 * A chaos run: steady load through the real pipeline (own Kafka broker, classify, store with
 * embedded ClickHouse and alert as separate processes, a local webhook receiver) while faults are
 * injected, then an audit of what came out.
 *
 * Faults, on a timeline relative to the run's duration:
 *  1. the Kafka broker is SIGKILLed and restarted;
 *  2. poison lands on the raw topic (invalid JSON, wrong schema, a 10 MB text, invalid UTF-8, a lone surrogate, ten
 *     200 KB messages in one batch), and five negative items dated 2099 just before the burst;
 *  3. classify is SIGKILLed in the middle of its stream and restarted;
 *  4. the store process, which hosts the embedded ClickHouse engine, is SIGKILLed and kept down
 *     (ClickHouse unreachable), then restarted on the same data;
 *  5. the webhook receiver answers 500, then 429 with Retry-After, while the burst's alert fires.
 * Audit: every valid item is in ClickHouse exactly once as the analyst views count it, every
 * poison message is on the dead-letter topic with its reason, every alert the alert service fired
 * was accepted by the receiver exactly once.
 */
import { join } from 'node:path';
import {
  AlertSchema,
  CONSUMER_GROUPS,
  DeadLetterSchema,
  TOPIC_NAMES,
  TOPIC_SPECS,
  createClickHouse,
  createKafkajsBus,
  sleep,
  type Bus,
  type BusMessage,
} from '@finsent/shared';
import { mkdirSync } from 'node:fs';
import { pino } from 'pino';
import { ensureKafkaJars, getFreePort, startKafkaBroker } from '../../devkit/kafka/broker.js';
import { ServiceProcess, type ServiceName } from '../../devkit/service-process.js';
import { tempDirFor } from '../temp.js';
import { startWebhookSink, type SinkFault } from '../../devkit/webhook-sink.js';
import { chaosItem, farFutureItems, poisonMessages, sampleHeadlines, type LoadPlan } from './load.js';
import { SIGNALS_TOPIC_SPEC } from '@finsent/alert';

export interface ChaosOptions {
  durationS: number;
  /** Items per second offered (the load pauses while the broker is down, then catches up). */
  rate: number;
  brokerDownS: number;
  clickhouseDownS: number;
  log: (msg: string) => void;
  /** Keep the run's folder (logs, data) even when the audit passes. */
  keep?: boolean;
}

export interface ChaosReport {
  sent: number;
  stored: number;
  lost: number;
  duplicated: number;
  dead_letters: number;
  alerts_expected: number;
  alerts_delivered: number;
  /** Whether an alert fired for the injected burst (items dated far ahead must not hide it). */
  burst_alerted: boolean;
  /** Scored messages beyond one per item: at-least-once redeliveries the store absorbed. */
  redelivered: number;
  webhook_failures_injected: number;
  dead_letters_expected: number;
  workdir: string | null;
}

/** Reads a topic from the beginning with a fresh group until `done` says so or time runs out. */
async function readTopic(
  bus: Bus,
  topic: string,
  done: (all: BusMessage[]) => boolean,
  timeoutMs: number,
): Promise<BusMessage[]> {
  const all: BusMessage[] = [];
  const consumer = await bus.consumer({
    groupId: `chaos-audit-${topic}-${Date.now()}`,
    topics: [topic],
    fromBeginning: true,
  });
  await consumer.run(async (batch) => void all.push(...batch));
  const deadline = Date.now() + timeoutMs;
  while (!done(all) && Date.now() < deadline) await sleep(200);
  await consumer.close();
  return all;
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const dir = tempDirFor('chaos');
  const logs = join(dir.path, 'logs');
  mkdirSync(logs, { recursive: true });
  const logger = pino({ level: 'warn' }, pino.destination(join(logs, 'harness.log')));
  await ensureKafkaJars();
  const broker = await startKafkaBroker({ dataDir: join(dir.path, 'kafka'), logFile: join(logs, 'kafka.log') });
  const bus = createKafkajsBus({ brokers: [broker.brokers], clientId: 'chaos-harness', logger });
  await bus.ensureTopics(TOPIC_SPECS);

  let webhookFault: SinkFault;
  let injected = 0;
  const secret = 'chaos-webhook-secret-0123456789';
  const sink = await startWebhookSink({ secret, fault: () => (webhookFault ? (injected++, webhookFault) : undefined) });

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: broker.brokers,
    FINSENT_DATA_DIR: join(dir.path, 'data'),
    ALERT_WEBHOOK_URL: sink.url,
    ALERT_WEBHOOK_SECRET: secret,
    ALERT_IDLE_FLUSH_S: '3',
    ALERT_DELIVERY_ATTEMPTS: '20',
    STORE_BATCH_WAIT_MS: '250',
    STORE_SQL_PORT: '0', // a run beside a running pipeline must not collide with its read endpoint
    LOG_LEVEL: 'info',
  };
  const services = new Map<ServiceName, ServiceProcess>();
  for (const name of ['store', 'classify', 'alert'] as const) {
    services.set(name, new ServiceProcess(name, await getFreePort(), env, join(logs, `${name}.log`)));
  }
  const svc = (name: ServiceName) => services.get(name)!;
  // The run's folder (logs, Kafka and ClickHouse data) is the evidence of a failed run: kept then.
  let keepDir = o.keep ?? false;
  try {
    await Promise.all([...services.values()].map((s) => s.start()));
    o.log(`pipeline up (workdir ${dir.path}); offering ${o.rate} items/s for ${o.durationS} s`);

    const texts = sampleHeadlines();
    const perSimMinute = 30;
    const total = Math.round(o.durationS * o.rate);
    const simMinutes = total / perSimMinute;
    const plan: LoadPlan = {
      runId: Date.now().toString(36),
      startMs: Date.UTC(2026, 0, 5, 8),
      perSimMinute,
      burstFromMinute: Math.round(simMinutes * 0.55),
      burstToMinute: Math.round(simMinutes * 0.55) + 10,
    };
    const burstAtS = (plan.burstFromMinute * perSimMinute) / o.rate;
    const producer = await bus.producer();
    const future = farFutureItems(plan, texts);
    const at = (fraction: number) => fraction * o.durationS * 1000;
    const t0 = Date.now();
    const waitUntil = (ms: number) => sleep(Math.max(0, t0 + ms - Date.now()));

    const faults = (async () => {
      await waitUntil(at(0.12));
      o.log('fault: Kafka broker SIGKILL');
      await broker.kill();
      await sleep(o.brokerDownS * 1000);
      await broker.restart();
      o.log('Kafka broker restarted');
      await waitUntil(at(0.3));
      o.log('fault: poison on the raw topic');
      await producer.send(
        TOPIC_NAMES.raw,
        poisonMessages(plan.runId).flatMap((p) =>
          Array.from({ length: p.count }, () => ({ key: p.key, value: p.value })),
        ),
      );
      await waitUntil(at(0.4));
      o.log('fault: classify SIGKILL mid-stream');
      await svc('classify').kill();
      await sleep(1_000);
      await svc('classify').start();
      o.log('classify restarted');
      await waitUntil(burstAtS * 1000 - 2_000);
      o.log('fault: five negative items dated 2099');
      await producer.send(
        TOPIC_NAMES.raw,
        future.map((item) => ({ key: item.id, value: JSON.stringify(item) })),
      );
      await waitUntil(burstAtS * 1000);
      o.log('fault: webhook answers 500');
      webhookFault = { status: 500 };
      await sleep(6_000);
      o.log('fault: webhook answers 429 Retry-After: 2');
      webhookFault = { status: 429, headers: { 'retry-after': '2' } };
      await sleep(6_000);
      webhookFault = undefined;
      o.log('webhook healthy again');
    })();
    const storeOutage = (async () => {
      await waitUntil(at(0.5));
      o.log(`fault: store (embedded ClickHouse) SIGKILL, down for ${o.clickhouseDownS} s`);
      await svc('store').kill();
      await sleep(o.clickhouseDownS * 1000);
      await svc('store').start();
      o.log('store restarted');
    })();

    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * o.rate));
      if (due > sent) {
        const items = Array.from({ length: due - sent }, (_, k) => chaosItem(plan, sent + k, texts));
        await producer.send(
          TOPIC_NAMES.raw,
          items.map((item) => ({ key: item.id, value: JSON.stringify(item) })),
        );
        sent = due;
      }
      await sleep(50);
    }
    o.log(`load done: ${sent} items sent in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await Promise.all([faults, storeOutage]);
    sent += future.length;

    // Drain: every group has committed everything there is.
    const lags = async () => {
      const all = await Promise.all([
        bus.lag(CONSUMER_GROUPS.classify, TOPIC_NAMES.raw),
        bus.lag(CONSUMER_GROUPS.store, TOPIC_NAMES.scored),
        bus.lag(CONSUMER_GROUPS.alertFanOut, TOPIC_NAMES.scored),
        bus.lag(CONSUMER_GROUPS.alert, SIGNALS_TOPIC_SPEC.topic),
        bus.lag(CONSUMER_GROUPS.store, TOPIC_NAMES.alerts),
      ]);
      return all.reduce((a, b) => a + b, 0);
    };
    const drainDeadline = Date.now() + 180_000;
    while ((await lags()) > 0 && Date.now() < drainDeadline) await sleep(500);
    // Let the alert service's idle flush close the last windows and finish deliveries.
    await sleep(8_000);
    while ((await lags()) > 0 && Date.now() < drainDeadline) await sleep(500);
    for (const name of ['alert', 'classify', 'store'] as const) await svc(name).stop();

    const poison = poisonMessages(plan.runId);
    const expectedLetters = poison.reduce((n, p) => n + p.count, 0);
    const letters = await readTopic(
      bus,
      TOPIC_NAMES.deadLetter,
      (all) => poison.every((p) => all.filter((m) => m.key === p.key).length >= p.count),
      30_000,
    );
    const reasons = new Map<string | null, string[]>();
    for (const m of letters)
      reasons.set(m.key, [
        ...(reasons.get(m.key) ?? []),
        DeadLetterSchema.parse(JSON.parse(m.value!.toString('utf8'))).reason_code,
      ]);
    const matching = (p: (typeof poison)[number]) => (reasons.get(p.key) ?? []).filter((r) => r === p.reason).length;
    const deadLetters = poison.reduce((n, p) => n + Math.min(p.count, matching(p)), 0);
    for (const p of poison)
      if (matching(p) !== p.count)
        o.log(
          `dead letters ${p.key}: expected ${p.count} × ${p.reason}, got ${JSON.stringify(reasons.get(p.key) ?? [])}`,
        );

    const alertMessages = await readTopic(bus, TOPIC_NAMES.alerts, () => false, 5_000);
    const scoredMessages = await readTopic(
      bus,
      TOPIC_NAMES.scored,
      (all) => new Set(all.map((m) => m.key)).size >= sent,
      30_000,
    );
    const alerts = alertMessages.map((m) => AlertSchema.parse(JSON.parse(m.value!.toString('utf8'))));
    const fired = new Set(alerts.map((a) => a.id));
    const burstFrom = plan.startMs + plan.burstFromMinute * 60_000;
    const burstAlerted = alerts.some(
      (a) => Date.parse(a.window_end) > burstFrom && Date.parse(a.window_start) < burstFrom + 20 * 60_000,
    );
    const delivered = sink.received.filter((a) => fired.has(a.id)).length;
    await producer.close();

    const { client } = await createClickHouse({ dataPath: join(dir.path, 'data', 'clickhouse') });
    const one = async (sql: string) =>
      Number(
        (
          await (
            await client.query({ query: sql, query_params: { source: `chaos:${plan.runId}` }, format: 'JSONEachRow' })
          ).json<{ n: string }>()
        )[0]!.n,
      );
    const stored = await one('SELECT uniqExact(id) AS n FROM v_items WHERE source = {source:String}');
    const viewRows = await one('SELECT count() AS n FROM v_items WHERE source = {source:String}');
    const trendTotal = await one('SELECT sum(total) AS n FROM v_topic_sentiment_minute');
    await client.close();

    const report: ChaosReport = {
      sent,
      stored,
      lost: sent - stored,
      duplicated: viewRows - stored + Math.abs(trendTotal - stored),
      dead_letters: deadLetters,
      alerts_expected: fired.size,
      alerts_delivered: delivered,
      burst_alerted: burstAlerted,
      redelivered: scoredMessages.length - new Set(scoredMessages.map((m) => m.key)).size,
      webhook_failures_injected: injected,
      dead_letters_expected: expectedLetters,
      workdir: null,
    };
    const ok =
      report.lost === 0 &&
      report.duplicated === 0 &&
      report.dead_letters === expectedLetters &&
      report.burst_alerted &&
      report.alerts_delivered === report.alerts_expected &&
      sink.received.length === report.alerts_expected;
    keepDir ||= !ok;
    if (keepDir) report.workdir = dir.path;
    return report;
  } catch (err) {
    keepDir = true;
    o.log(`run failed; logs and data kept in ${dir.path}`);
    throw err;
  } finally {
    for (const s of services.values()) await s.kill();
    await sink.close();
    await broker.stop().catch(() => undefined);
    if (!keepDir) dir.remove();
  }
}
