/**
 * finsent bench e2e: the whole pipeline at a sustained rate on this machine.
 *
 * Items are pushed to ingest's POST /ingest (so ingest's normalisation, dedup and publishing are
 * in the path), then flow through Kafka, classify, store (embedded ClickHouse) and alert, each its
 * own process as in production. Measured:
 *  - items/s sustained: items whose row was in ClickHouse by the end of the load, per second;
 *  - publish → ClickHouse latency per item, from ingest's `fetched_at` to the row's `stored_at`
 *    (both stamped by the pipeline, read back with SQL), and per stage: fetched_at → scored_at (ingest's
 *    publish, Kafka, classify's micro-batch and inference, up to the score) and scored_at → stored_at
 *    (classify's produce, Kafka, the store's batching and the insert), p50 / p99 / max each;
 *  - spike → alert: from the first pushed item of an injected negative burst to the alert's
 *    arrival at a local webhook receiver;
 *  - RSS of every service sampled from /proc every 2 s: peak, and the slope over the second half
 *    of the run (MB/min; near 0 means no growth trend).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import {
  CONSUMER_GROUPS,
  TOPIC_NAMES,
  TOPIC_SPECS,
  createClickHouse,
  createKafkajsBus,
  errorMessage,
  sleep,
} from '@finsent/shared';
import { ensureKafkaJars, getFreePort, startKafkaBroker } from '../../devkit/kafka/broker.js';
import { sampleHeadlines } from '../chaos/load.js';
import { ServiceProcess, type ServiceName } from '../../devkit/service-process.js';
import { tempDirFor } from '../temp.js';
import { startWebhookSink } from '../../devkit/webhook-sink.js';

const HELP = `Usage: finsent bench e2e [--rate N] [--duration S] [--spike-at F]

Runs ingest, classify, store (embedded ClickHouse) and alert as separate processes on a throwaway
Kafka broker, pushes N items/s to ingest's POST /ingest for S seconds, injects a 90-second negative
burst at fraction F of the run, and prints as its last line:
{"items_per_s","p50_store_ms","p99_store_ms","stages_ms":{"classify":{p50,p99,max},"store":{…}},"p99_alert_s",
 "peak_rss_mb":{service:MB},"rss_slope_mb_per_min":{…},"cpu_cores_during_load":{process:cores}}
cpu_cores_during_load: CPU time each process (the four services, the Kafka broker, this load generator) used
during the load, divided by its duration: where the 2 cores went.
  --rate N       items per second offered (default 200)
  --duration S   seconds of load (default 600: the issue's "10 minutes steady")
  --spike-at F   when the burst starts, as a fraction of the run (default 0.6)
  --keep         keep the run's folder (service logs, Kafka and ClickHouse data)
`;

function rssMb(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (clock ticks of 1/100 s on Linux). */
function cpuSeconds(pid: number): number | undefined {
  try {
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Least-squares slope of (t, y), per minute. */
export function slopePerMinute(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [t, y] of points) {
    num += (t - mt) * (y - my);
    den += (t - mt) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60_000;
}

export async function benchE2e(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        rate: { type: 'string', default: '200' },
        duration: { type: 'string', default: '600' },
        'spike-at': { type: 'string', default: '0.6' },
        keep: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`finsent bench e2e: ${errorMessage(err)}\n\n${HELP}`);
    return 2;
  }
  if (values.help) return (process.stdout.write(HELP), 0);
  const rate = Number(values.rate);
  const durationS = Number(values.duration);
  const spikeAtS = Number(values['spike-at']) * durationS;
  const log = (m: string) => process.stderr.write(`[bench e2e] ${m}\n`);

  const dir = tempDirFor('bench-e2e');
  const logger = pino({ level: 'warn' }, pino.destination(join(dir.path, 'harness.log')));
  await ensureKafkaJars();
  const broker = await startKafkaBroker({ dataDir: join(dir.path, 'kafka'), logFile: join(dir.path, 'kafka.log') });
  const bus = createKafkajsBus({ brokers: [broker.brokers], clientId: 'bench-e2e', logger });
  await bus.ensureTopics(TOPIC_SPECS);
  const alertTimes: number[] = [];
  const sink = await startWebhookSink({ onAlert: () => void alertTimes.push(Date.now()) });
  const token = 'bench-e2e-token-0123456789';
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KAFKA_BROKERS: broker.brokers,
    FINSENT_DATA_DIR: join(dir.path, 'data'),
    ALERT_WEBHOOK_URL: sink.url,
    INGEST_TOKEN: token,
    INGEST_MAX_BODY_BYTES: String(16 * 1024 * 1024),
    FEEDS_ENABLED: 'false',
    STORE_SQL_PORT: '0', // beside a running pipeline, no clash with its read endpoint
    LOG_LEVEL: 'warn',
  };
  const services = new Map<ServiceName, ServiceProcess>();
  for (const name of ['store', 'classify', 'alert', 'ingest'] as const)
    services.set(name, new ServiceProcess(name, await getFreePort(), env, join(dir.path, `${name}.log`)));
  const rss = new Map<string, Array<[number, number]>>();
  const sampler = setInterval(() => {
    const now = Date.now();
    for (const [name, s] of services) {
      const mb = s.pid === undefined ? undefined : rssMb(s.pid);
      if (mb !== undefined) rss.set(name, [...(rss.get(name) ?? []), [now, mb]]);
    }
  }, 2_000);
  try {
    for (const s of services.values()) await s.start();
    const ingestUrl = `http://127.0.0.1:${services.get('ingest')!.opsPort}/ingest`;
    const texts = sampleHeadlines();
    const runId = Date.now().toString(36);
    log(
      `pipeline up; pushing ${rate} items/s for ${durationS} s, negative burst at ${spikeAtS.toFixed(0)} s (workdir ${dir.path})`,
    );
    const cpuPids = (): Array<[string, number | undefined]> => [
      ...[...services].map(([n, sv]) => [n, sv.pid] as [string, number | undefined]),
      ['kafka', broker.pid],
      ['load', process.pid],
    ];
    const cpuAt = () => new Map(cpuPids().map(([n, pid]) => [n, pid === undefined ? undefined : cpuSeconds(pid)]));
    const cpuStart = cpuAt();
    const t0 = Date.now();
    let sent = 0;
    let spikeOnset: number | undefined;
    while (Date.now() - t0 < durationS * 1000) {
      const elapsedS = (Date.now() - t0) / 1000;
      const due = Math.floor(elapsedS * rate) - sent;
      if (due > 0) {
        const inSpike = elapsedS >= spikeAtS && elapsedS < spikeAtS + 90;
        if (inSpike) spikeOnset ??= Date.now();
        const pool = inSpike ? texts.burst : texts.calm;
        const lines = Array.from({ length: due }, (_, k) => {
          const i = sent + k;
          return JSON.stringify({
            url: `https://bench.example.com/${runId}/${i}`,
            title: `${pool[i % pool.length]} #${i}`,
            published_at: new Date().toISOString(),
            source: 'bench',
          });
        });
        const res = await fetch(ingestUrl, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
          body: lines.join('\n'),
        });
        if (!res.ok) throw new Error(`POST /ingest answered ${res.status}: ${await res.text()}`);
        sent += due;
      }
      await sleep(50);
    }
    const loadEnd = Date.now();
    const cpuEnd = cpuAt();
    const cpuCores = Object.fromEntries(
      [...cpuEnd].flatMap(([n, end]) => {
        const start = cpuStart.get(n);
        return end === undefined || start === undefined
          ? []
          : [[n, Math.round(((end - start) / ((loadEnd - t0) / 1000)) * 100) / 100]];
      }),
    );
    log(`load done: ${sent} items pushed; draining`);
    const drainDeadline = Date.now() + 300_000;
    while (Date.now() < drainDeadline) {
      const lag =
        (await bus.lag(CONSUMER_GROUPS.classify, TOPIC_NAMES.raw)) +
        (await bus.lag(CONSUMER_GROUPS.store, TOPIC_NAMES.scored));
      if (lag === 0) break;
      await sleep(500);
    }
    const firstAlertAfterOnset = () => alertTimes.find((t) => spikeOnset !== undefined && t >= spikeOnset);
    if (firstAlertAfterOnset() === undefined) await sleep(15_000); // the detector's idle flush may still close the burst's windows
    clearInterval(sampler);
    for (const name of ['ingest', 'alert', 'classify', 'store'] as const) await services.get(name)!.stop();

    const { client } = await createClickHouse({ dataPath: join(dir.path, 'data', 'clickhouse') });
    const rows = await (
      await client.query({
        query: `SELECT count() AS n,
                  countIf(stored_at <= fromUnixTimestamp64Milli({end:Int64})) AS in_time,
                  quantileExact(0.5)(dateDiff('millisecond', fetched_at, stored_at)) AS p50,
                  quantileExact(0.99)(dateDiff('millisecond', fetched_at, stored_at)) AS p99,
                  quantilesExact(0.5, 0.99, 1)(dateDiff('millisecond', fetched_at, scored_at)) AS classify_q,
                  quantilesExact(0.5, 0.99, 1)(dateDiff('millisecond', scored_at, stored_at)) AS store_q
                FROM v_items`,
        query_params: { end: loadEnd + 2_000 },
        format: 'JSONEachRow',
      })
    ).json<{ n: string; in_time: string; p50: number; p99: number; classify_q: number[]; store_q: number[] }>();
    await client.close();
    const r = rows[0]!;
    const half = t0 + (durationS * 1000) / 2;
    const result = {
      items_per_s: Math.round((Number(r.in_time) / durationS) * 10) / 10,
      offered_per_s: rate,
      stored: Number(r.n),
      sent,
      p50_store_ms: Number(r.p50),
      p99_store_ms: Number(r.p99),
      stages_ms: Object.fromEntries(
        (
          [
            ['classify', r.classify_q],
            ['store', r.store_q],
          ] as const
        ).map(([k, q]) => [k, { p50: Number(q[0]), p99: Number(q[1]), max: Number(q[2]) }]),
      ),
      // One injected burst: its delay is the p99 (and every other quantile) of this run.
      p99_alert_s:
        firstAlertAfterOnset() !== undefined ? Math.round((firstAlertAfterOnset()! - spikeOnset!) / 100) / 10 : null,
      alerts_before_spike: alertTimes.filter((t) => spikeOnset === undefined || t < spikeOnset).length,
      peak_rss_mb: Object.fromEntries([...rss].map(([k, pts]) => [k, Math.round(Math.max(...pts.map((p) => p[1])))])),
      rss_slope_mb_per_min: Object.fromEntries(
        [...rss].map(([k, pts]) => [k, Math.round(slopePerMinute(pts.filter((p) => p[0] >= half)) * 100) / 100]),
      ),
      cpu_cores_during_load: cpuCores,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } finally {
    clearInterval(sampler);
    for (const s of services.values()) await s.kill();
    await sink.close();
    await broker.stop().catch(() => undefined);
    if (values.keep) log(`logs and data kept in ${dir.path}`);
    else dir.remove();
  }
}
