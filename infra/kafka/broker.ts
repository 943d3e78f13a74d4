/**
 * Local single-node Apache Kafka broker (KRaft, combined broker+controller) for dev runs and tests.
 *
 * The broker runs from the official jars on Maven Central (resolved by infra/kafka/pom.xml into
 * `.cache/kafka/<version>/libs`), as a child process of the calling Node process.
 *
 * Why Kafka 3.9.x: kafkajs 2.2.4 is unmaintained (last release 2023) and negotiates old protocol
 * versions; Kafka 4.0 removed the oldest ones (KIP-896). 3.9 is the last line serving all of them.
 * Verified: infra/kafka/broker.test.ts passes against 3.9.2. Probe against Kafka 4.1.0 (same
 * server.properties): admin connect/describeCluster/createTopics/describeConfigs/
 * alterConfigs/createPartitions/list+describe+deleteGroups/setOffsets/deleteTopicRecords/
 * deleteTopics, idempotent + plain + gzip produce, consumer-group consume + commit and a
 * transaction with sendOffsets all worked too - kafkajs' max API versions are above the 4.x floors.
 * So 4.x is not known-broken, but 3.9.x keeps the margin (and log4j 1.x config; 4.x uses log4j2).
 *
 * Start-up time, 2-core Debian VM, JDK 17 (see startKafkaBroker for the numbers).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { runCommand } from '../run-command.js';

/** Kafka version used by the project. Keep in sync with <kafka.version> in pom.xml. */
export const KAFKA_VERSION = '3.9.2';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const POM = path.join(HERE, 'pom.xml');
const LOG4J_CONFIG = path.join(HERE, 'log4j.properties');
const DEFAULT_REPO_ROOT = path.resolve(HERE, '..', '..');
const STAMP_FILE = '.complete';

export interface KafkaBroker {
  /** Bootstrap string for clients, e.g. "127.0.0.1:9092". */
  readonly brokers: string;
  readonly port: number;
  readonly controllerPort: number;
  /** PID of the current java process (changes after restart()). */
  readonly pid: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** Graceful stop: SIGTERM, wait for exit, SIGKILL after a timeout (default 30 s). */
  stop(timeoutMs?: number): Promise<void>;
  /** SIGKILL (crash simulation for fault tests); resolves once the process is gone. */
  kill(): Promise<void>;
  /** Start again on the same ports and data dir (stops gracefully first if still running). */
  restart(): Promise<void>;
  /** Resolves when the current java process exits (for whatever reason). */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartKafkaBrokerOptions {
  dataDir: string;
  /** PLAINTEXT listener port; 0/undefined = pick a free port. */
  port?: number;
  /** CONTROLLER listener port; 0/undefined = pick a free port. */
  controllerPort?: number;
  /** Interface to listen on and advertise; default 127.0.0.1. */
  host?: string;
  /** Broker stdout/stderr go here (appended); default `<dataDir>/broker.log`. */
  logFile?: string;
  /** JVM max heap in MiB; default 512. */
  heapMb?: number;
  /** num.partitions for topics created without an explicit count; default 1. */
  numPartitions?: number;
  /** How long to wait for the broker to become ready; default 60 s. */
  startTimeoutMs?: number;
  /** Repo root that holds `.cache/kafka`; default: two levels above this file. */
  repoRoot?: string;
  /** Progress messages (Maven fetch, formatting, start-up); default: silent. */
  log?: (msg: string) => void;
}

export interface TopicSpec {
  topic: string;
  partitions: number;
  retentionMs?: number;
  cleanupPolicy?: 'delete' | 'compact';
}

// ---------------------------------------------------------------------------------------------
// Jars
// ---------------------------------------------------------------------------------------------

/** Resolve the command for java: $JAVA_HOME/bin/java when set, else `java` from PATH. */
function javaBin(): string {
  const home = process.env.JAVA_HOME;
  if (home) {
    const candidate = path.join(home, 'bin', 'java');
    if (fs.existsSync(candidate)) return candidate;
  }
  return 'java';
}

async function assertJava(): Promise<void> {
  const res = await runCommand(javaBin(), ['-version'], {
    missingHint: 'Kafka needs a Java runtime (JDK/JRE 17+), e.g. `apt-get install openjdk-17-jre-headless`, or set JAVA_HOME.',
  });
  if (res.code !== 0) throw new Error(`'java -version' failed (exit ${res.code}):\n${res.output}`);
}

function pomHash(): string {
  return createHash('sha256').update(fs.readFileSync(POM)).digest('hex').slice(0, 16);
}

/** Remove `libs.tmp-<pid>-*` dirs left behind by fetches that were killed (their pid is gone). */
function removeStaleTempDirs(cacheDir: string): void {
  for (const name of fs.readdirSync(cacheDir)) {
    const m = /^libs\.tmp-(\d+)-/.exec(name);
    if (!m) continue;
    let alive = true;
    try {
      process.kill(Number(m[1]), 0);
    } catch {
      alive = false;
    }
    if (!alive) fs.rmSync(path.join(cacheDir, name), { recursive: true, force: true });
  }
}

function cacheDirFor(repoRoot: string): string {
  return path.join(repoRoot, '.cache', 'kafka', KAFKA_VERSION);
}

/**
 * Make sure the Kafka jars are in `<repoRoot>/.cache/kafka/<version>/libs` and return that dir.
 * Runs Maven only when the folder is missing or incomplete: a stamp file (with a hash of pom.xml)
 * is written after a successful download, and Maven downloads into a temp dir that is renamed into
 * place, so an interrupted or concurrent download never leaves a half-filled libs dir behind.
 * Cold fetch (empty ~/.m2) takes ~8 s on the dev VM; a warm call is a couple of stat()s.
 */
export async function ensureKafkaJars(opts: { repoRoot?: string; log?: (msg: string) => void } = {}): Promise<string> {
  const repoRoot = path.resolve(opts.repoRoot ?? DEFAULT_REPO_ROOT);
  const log = opts.log ?? (() => {});
  const cacheDir = cacheDirFor(repoRoot);
  const libs = path.join(cacheDir, 'libs');
  const stamp = path.join(cacheDir, STAMP_FILE);
  const expected = `${KAFKA_VERSION} ${pomHash()}`;
  const mainJar = path.join(libs, `kafka_2.13-${KAFKA_VERSION}.jar`);

  const stampOk = (): boolean => {
    try {
      return fs.readFileSync(stamp, 'utf8').trim() === expected && fs.existsSync(mainJar);
    } catch {
      return false;
    }
  };
  if (stampOk()) return libs;

  await assertJava();
  fs.mkdirSync(cacheDir, { recursive: true });
  removeStaleTempDirs(cacheDir);
  const tmp = path.join(cacheDir, `libs.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  log(`Fetching Kafka ${KAFKA_VERSION} jars with Maven into ${libs} ...`);
  const t0 = Date.now();
  try {
    const res = await runCommand(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        POM,
        `-Dkafka.version=${KAFKA_VERSION}`,
        'dependency:copy-dependencies',
        `-DoutputDirectory=${tmp}`, // absolute: a relative dir would resolve against the pom's folder
        '-DincludeScope=runtime',
      ],
      { missingHint: 'Install Maven 3.6+ (`apt-get install maven`) to fetch the Kafka jars from Maven Central.' },
    );
    if (res.code !== 0) {
      throw new Error(`Maven failed to fetch the Kafka jars (exit ${res.code ?? res.signal}):\n${res.output.slice(-4000)}`);
    }
    if (!fs.existsSync(path.join(tmp, `kafka_2.13-${KAFKA_VERSION}.jar`))) {
      throw new Error(`Maven finished but kafka_2.13-${KAFKA_VERSION}.jar is missing in ${tmp}`);
    }
    if (stampOk()) return libs; // someone else finished first
    fs.rmSync(libs, { recursive: true, force: true });
    try {
      fs.renameSync(tmp, libs);
    } catch (err) {
      // Lost a race with a concurrent fetch that renamed its own dir into place.
      if (!fs.existsSync(mainJar)) throw err;
    }
    fs.writeFileSync(stamp, expected + '\n');
    log(`Fetched Kafka jars in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return libs;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Broker process
// ---------------------------------------------------------------------------------------------

/**
 * JVM flags tuned for a fast start on a small (2-core) machine. Throughput is not a concern for a
 * local dev/test broker, so C1-only JIT and the serial GC are fine.
 */
function jvmArgs(heapMb: number): string[] {
  return [
    `-Xmx${heapMb}m`,
    `-Xms${Math.min(heapMb, 128)}m`,
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Xshare:auto',
    '-XX:-UsePerfData',
    '-Djava.awt.headless=true',
    '-Dlog4j.configuration=' + pathToFileURL(LOG4J_CONFIG).href,
  ];
}

/** Ask the OS for a free TCP port on host. */
export function getFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not allocate a free port'))));
    });
  });
}

function canConnect(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean): void => {
      sock.removeAllListeners();
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Last `lines` lines of a (possibly large) text file, or a note if it can't be read. */
export function tailFile(file: string, lines = 40): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      return buf.toString('utf8').split('\n').slice(-lines).join('\n');
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    return `(could not read ${file}: ${(err as Error).message})`;
  }
}

/** A KRaft cluster id: 16 random bytes, url-safe base64 without padding (22 chars), not starting with '-'. */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-') && !id.startsWith('_')) return id;
  }
}

function serverProperties(o: {
  host: string;
  port: number;
  controllerPort: number;
  logDir: string;
  numPartitions: number;
}): string {
  const props: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${o.host}:${o.controllerPort}`,
    listeners: `PLAINTEXT://${o.host}:${o.port},CONTROLLER://${o.host}:${o.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${o.host}:${o.port}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'log.dirs': o.logDir,
    'num.partitions': o.numPartitions,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    // Fewer internal partitions => faster first group join / fewer files (fixed once created).
    'offsets.topic.num.partitions': 5,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 5,
    'group.initial.rebalance.delay.ms': 0,
    'auto.create.topics.enable': 'false',
    'delete.topic.enable': 'true',
    // Small footprint: few threads, small log-cleaner buffer (default 128 MiB would eat the heap).
    'num.network.threads': 2,
    'num.io.threads': 2,
    'background.threads': 2,
    'num.recovery.threads.per.data.dir': 1,
    'num.replica.fetchers': 1,
    'log.cleaner.threads': 1,
    'log.cleaner.dedupe.buffer.size': 16 * 1024 * 1024,
    'log.cleaner.io.buffer.size': 512 * 1024,
    'log.segment.bytes': 64 * 1024 * 1024,
    'log.index.size.max.bytes': 1024 * 1024,
    'log.retention.check.interval.ms': 60_000,
    'socket.request.max.bytes': 100 * 1024 * 1024,
    // After a SIGKILL the restarted broker must wait for its old registration's session to expire
    // (DUPLICATE_BROKER_REGISTRATION) before it unfences: default 9 s. Shorter = faster kill+restart.
    'broker.heartbeat.interval.ms': 1000,
    'broker.session.timeout.ms': 4000,
  };
  return (
    '# Generated by infra/kafka/broker.ts - rewritten on every start.\n' +
    Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') +
    '\n'
  );
}

// Children to kill if the parent process goes away.
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = (): void => {
    for (const child of liveChildren) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
    liveChildren.clear();
  };
  process.on('exit', killAll);
  // Node does not emit 'exit' when it dies from a signal it has no handler for. If nobody else
  // handles these signals, kill the brokers and re-raise so the default behaviour (exit) is kept.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      if (process.listenerCount(sig) > 1) return; // the app handles it (e.g. cli.ts stops gracefully)
      killAll();
      process.removeListener(sig, handler);
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

const PID_FILE = 'broker.pid';

/** `<broker pid> <pid of the process that started it>`: what killStaleBroker needs to judge it. */
const pidFileContent = (brokerPid: number): string => `${brokerPid} ${process.pid}\n`;

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Kills a broker left running on this data directory by a parent that died without stopping it
 * (SIGKILL, OOM): the broker runs in its own process group, so nothing else ends it, and it would
 * hold the port and the log directory's lock. Only an orphan is killed: a broker whose parent is
 * still alive belongs to a running pipeline, and a second start on its data directory is refused
 * before it touches anything there. The pid is trusted only while /proc says it is still a
 * kafka.Kafka process started with this data directory's server.properties, so a reused pid is
 * left alone.
 */
async function killStaleBroker(dataDir: string, propsFile: string, log: (msg: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, PID_FILE);
  const isOurBroker = (pid: number): boolean => {
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return argv.includes('kafka.Kafka') && argv.includes(propsFile);
    } catch {
      return false; // gone, or no /proc (not Linux): nothing we can safely kill
    }
  };
  let brokerPid: number, parentPid: number;
  try {
    [brokerPid, parentPid] = fs.readFileSync(pidFile, 'utf8').trim().split(/\s+/).map(Number) as [number, number];
  } catch {
    return;
  }
  if (!Number.isInteger(brokerPid) || brokerPid <= 0 || !isOurBroker(brokerPid)) {
    fs.rmSync(pidFile, { force: true });
    return;
  }
  if (Number.isInteger(parentPid) && parentPid > 0 && isAlive(parentPid)) {
    throw new Error(`a Kafka broker (pid ${brokerPid}, started by pid ${parentPid}) is already running on ${dataDir}; stop that pipeline first or use another data directory`);
  }
  log(`Killing a stale Kafka broker (pid ${brokerPid}) left running on ${dataDir} by a process that is gone`);
  process.kill(brokerPid, 'SIGKILL');
  const deadline = Date.now() + 10_000;
  while (isOurBroker(brokerPid)) {
    if (Date.now() > deadline) throw new Error(`a stale Kafka broker (pid ${brokerPid}) on ${dataDir} did not die after SIGKILL`);
    await sleep(100);
  }
  fs.rmSync(pidFile, { force: true });
}

/**
 * Before a data directory is deleted (`finsent start --fresh`): refuses while a live pipeline's
 * broker runs on it and kills an orphaned one, which would otherwise keep the port.
 */
export function releaseBrokerDataDir(dataDir: string, log: (msg: string) => void = () => {}): Promise<void> {
  const dir = path.resolve(dataDir);
  return killStaleBroker(dir, path.join(dir, 'server.properties'), log);
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.removeListener('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/**
 * Start a single-node KRaft broker. Formats `<dataDir>/kafka-logs` on first use (skipped when
 * meta.properties exists), then runs `kafka.Kafka server.properties` and waits until the broker
 * accepts connections and a kafkajs admin can describe the cluster.
 *
 * Measured on the 2-core dev VM (JDK 17, flags from jvmArgs(), jars cached):
 *   - cold, fresh data dir: ~1.7 s for StorageTool format + ~1.2-1.6 s until ready  => ~3 s
 *   - warm restart (graceful stop + start on the same dir): ~1.5 s
 *   - kill() (SIGKILL) + restart(): ~5.5 s - the restarted broker waits for its old registration's
 *     session to expire (broker.session.timeout.ms, lowered from 9 s to 4 s below).
 *   JVM start -> "Kafka Server started": ~1.85 s with the flags vs ~2.2-2.7 s with JVM defaults (G1, C2).
 *   First-ever call also runs Maven: ~8 s with an empty ~/.m2, ~4 s when ~/.m2 already has the jars.
 */
export async function startKafkaBroker(opts: StartKafkaBrokerOptions): Promise<KafkaBroker> {
  const log = opts.log ?? (() => {});
  const host = opts.host ?? '127.0.0.1';
  const heapMb = opts.heapMb ?? 512;
  const numPartitions = opts.numPartitions ?? 1;
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;
  const dataDir = path.resolve(opts.dataDir);
  const logDir = path.join(dataDir, 'kafka-logs');
  const logFile = path.resolve(opts.logFile ?? path.join(dataDir, 'broker.log'));
  const propsFile = path.join(dataDir, 'server.properties');

  const libs = await ensureKafkaJars({ repoRoot: opts.repoRoot, log });
  await assertJava();
  const classpath = path.join(libs, '*');

  const port = opts.port || (await getFreePort(host));
  let controllerPort = opts.controllerPort || (await getFreePort(host));
  while (controllerPort === port) controllerPort = await getFreePort(host);

  await killStaleBroker(dataDir, propsFile, log);
  fs.mkdirSync(logDir, { recursive: true });
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  fs.writeFileSync(propsFile, serverProperties({ host, port, controllerPort, logDir, numPartitions }));

  // Format storage once. meta.properties in the log dir means "already formatted".
  if (!fs.existsSync(path.join(logDir, 'meta.properties'))) {
    const clusterId = newClusterId();
    log(`Formatting ${logDir} (cluster id ${clusterId}) ...`);
    const res = await runCommand(javaBin(), [
      ...jvmArgs(Math.min(heapMb, 256)),
      '-cp',
      classpath,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      propsFile,
    ]);
    fs.appendFileSync(logFile, `--- kafka-storage format (${new Date().toISOString()}) ---\n${res.output}`);
    if (res.code !== 0) {
      throw new Error(`Formatting Kafka storage failed (exit ${res.code ?? res.signal}):\n${res.output.slice(-4000)}`);
    }
  }

  let child: ChildProcess | undefined;
  let stopping: Promise<void> | undefined;

  const spawnBroker = async (): Promise<void> => {
    const t0 = Date.now();
    const fd = fs.openSync(logFile, 'a');
    fs.writeSync(fd, `--- kafka.Kafka start (${new Date().toISOString()}) ---\n`);
    let proc: ChildProcess;
    try {
      proc = spawn(javaBin(), [...jvmArgs(heapMb), '-cp', classpath, 'kafka.Kafka', propsFile], {
        cwd: dataDir,
        stdio: ['ignore', fd, fd],
        // Its own process group: Ctrl-C in a terminal signals the whole foreground group, and the
        // broker must outlive the services that are still committing to it (the caller stops it last).
        detached: true,
      });
    } finally {
      fs.closeSync(fd);
    }
    child = proc;
    installExitHook();
    liveChildren.add(proc);
    let spawnError: Error | undefined;
    proc.on('error', (err) => (spawnError = err));
    const pidFile = path.join(dataDir, PID_FILE);
    if (proc.pid !== undefined) fs.writeFileSync(pidFile, pidFileContent(proc.pid));
    proc.on('exit', () => {
      liveChildren.delete(proc);
      // Only its own entry: after a restart the file already names the broker that replaced it.
      try {
        if (proc.pid !== undefined && fs.readFileSync(pidFile, 'utf8') === pidFileContent(proc.pid)) fs.rmSync(pidFile);
      } catch {
        /* already gone */
      }
    });

    const deadline = t0 + startTimeoutMs;
    const fail = async (why: string): Promise<never> => {
      proc.kill('SIGKILL');
      await waitForExit(proc, 5_000);
      throw new Error(`Kafka broker ${why}.\nLog file: ${logFile}\n--- last lines ---\n${tailFile(logFile)}`);
    };
    for (;;) {
      if (spawnError) await fail(`could not be started (${spawnError.message})`);
      if (proc.exitCode !== null || proc.signalCode !== null) {
        await fail(`exited during start-up (exit code ${proc.exitCode ?? proc.signalCode})`);
      }
      if (Date.now() > deadline) {
        await fail(`did not become ready on ${host}:${port} within ${Math.round(startTimeoutMs / 1000)} s`);
      }
      if (await canConnect(host, port, 500)) {
        if (await describeOk(`${host}:${port}`)) break;
      }
      await sleep(200);
    }
    log(`Kafka ${KAFKA_VERSION} ready on ${host}:${port} (pid ${proc.pid}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  };

  await spawnBroker();

  const stop = async (timeoutMs = 30_000): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    if (!(await waitForExit(proc, timeoutMs))) {
      log(`Kafka broker (pid ${proc.pid}) did not stop within ${timeoutMs} ms, sending SIGKILL`);
      proc.kill('SIGKILL');
      await waitForExit(proc, 10_000);
    }
  };

  const broker: KafkaBroker = {
    brokers: `${host}:${port}`,
    port,
    controllerPort,
    dataDir,
    logFile,
    get pid(): number {
      return child?.pid ?? -1;
    },
    stop: (timeoutMs?: number) => {
      stopping ??= stop(timeoutMs).finally(() => (stopping = undefined));
      return stopping;
    },
    kill: async () => {
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGKILL');
      await waitForExit(proc, 10_000);
    },
    restart: async () => {
      await broker.stop();
      await spawnBroker();
    },
    exited: () => {
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) {
        return Promise.resolve({ code: proc?.exitCode ?? null, signal: proc?.signalCode ?? null });
      }
      return new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    },
  };
  return broker;
}

/** One quick describeCluster with a throwaway, silent kafkajs admin. */
async function describeOk(brokers: string): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'finsent-broker-probe',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------
// Topics
// ---------------------------------------------------------------------------------------------

/**
 * Create topics (replication factor 1). Idempotent: topics that already exist are left alone
 * (their partition count/config is not changed). Waits until every partition has a leader.
 */
export async function createTopics(brokers: string, topics: TopicSpec[]): Promise<void> {
  if (topics.length === 0) return;
  const kafka = new Kafka({
    clientId: 'finsent-create-topics',
    brokers: brokers.split(',').map((b) => b.trim()),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((t) => {
            const configEntries: Array<{ name: string; value: string }> = [];
            if (t.retentionMs !== undefined) configEntries.push({ name: 'retention.ms', value: String(t.retentionMs) });
            if (t.cleanupPolicy) configEntries.push({ name: 'cleanup.policy', value: t.cleanupPolicy });
            return { topic: t.topic, numPartitions: t.partitions, replicationFactor: 1, configEntries };
          }),
        });
      } catch (err) {
        // A concurrent creator may have won the race; only rethrow if something is still missing.
        const now = new Set(await admin.listTopics());
        if (missing.some((t) => !now.has(t.topic))) throw err;
      }
    }
    // Wait for metadata: every partition of every topic has a leader.
    const names = topics.map((t) => t.topic);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const md = await admin.fetchTopicMetadata({ topics: names });
        const ready = md.topics.every(
          (t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader !== undefined && p.leader >= 0),
        );
        if (ready) return;
      } catch {
        /* metadata not propagated yet */
      }
      if (Date.now() > deadline) throw new Error(`Timed out waiting for metadata of topics: ${names.join(', ')}`);
      await sleep(200);
    }
  } finally {
    await admin.disconnect();
  }
}
