/**
 * Supervision of the broker's java process: spawn it, wait until clients can use it, stop/kill/restart
 * it, and make sure it does not outlive this Node process by accident.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatStorageOnce, jvmArgs, serverProperties } from './config-files.js';
import { KAFKA_VERSION, assertJava, ensureKafkaJars, javaBin } from './jars.js';
import { brokerReady, getFreePort } from './network.js';
import { killStaleBroker, removePidFileOf, writePidFile } from './pid-file.js';

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
 * Measured on the 2-core dev VM (JDK 17, flags from jvmArgs() in config-files.ts, jars cached):
 *   - cold, fresh data dir: ~1.7 s for StorageTool format + ~1.2-1.6 s until ready  => ~3 s
 *   - warm restart (graceful stop + start on the same dir): ~1.5 s
 *   - kill() (SIGKILL) + restart(): ~5.5 s - the restarted broker waits for its old registration's
 *     session to expire (broker.session.timeout.ms, lowered from 9 s to 4 s in serverProperties()).
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

  // Before anything in the data dir is touched: a live pipeline's broker there makes this throw.
  await killStaleBroker(dataDir, propsFile, log);
  fs.mkdirSync(logDir, { recursive: true });
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  fs.writeFileSync(propsFile, serverProperties({ host, port, controllerPort, logDir, numPartitions }));
  await formatStorageOnce({ logDir, propsFile, classpath, heapMb, logFile, log });

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
    if (proc.pid !== undefined) writePidFile(dataDir, proc.pid);
    proc.on('exit', () => {
      liveChildren.delete(proc);
      if (proc.pid !== undefined) removePidFileOf(dataDir, proc.pid);
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
      if (await brokerReady(host, port)) break;
      await sleep(200);
    }
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    log(`Kafka ${KAFKA_VERSION} ready on ${host}:${port} (pid ${proc.pid}) in ${secs} s`);
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
    // Concurrent stop() calls share one SIGTERM/wait rather than racing to SIGKILL.
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
