/**
 * Process lifecycle shared by every service entry point: start, log readiness, and on SIGTERM or
 * SIGINT stop gracefully (finish or hand back in-flight work, commit, disconnect) before exiting.
 */
import { isConfigError } from './errors.js';
import type { Bus, ConsumerFailure } from './kafka/bus.js';
import type { Logger } from './logger.js';

export interface RunningService {
  name: string;
  /** Base URL of the service's /metrics and /healthz endpoint. */
  opsUrl: string;
  /** Resolves if the service can no longer do its work (a consumer stopped for good): the process then stops and exits 1. */
  failure?: Promise<Error>;
  stop(): Promise<void>;
}

/** What a service learns from its bus's consumers: a failure to exit on, and the fields of its /healthz. */
export interface ConsumerWatch {
  failure: Promise<Error>;
  /** `ok` false and the failed group once any consumer stopped for good. */
  health(): { ok: boolean; consumers: string };
}

export function watchConsumers(bus: Pick<Bus, 'onConsumerFailure'>): ConsumerWatch {
  let failed: ConsumerFailure | undefined;
  const failure = new Promise<Error>((resolve) =>
    bus.onConsumerFailure((f) => {
      failed ??= f;
      resolve(new Error(`Kafka consumer of group ${f.groupId} stopped: ${f.error.message}`, { cause: f.error }));
    }),
  );
  return {
    failure,
    health: () =>
      failed
        ? { ok: false, consumers: `failed (${failed.groupId}): ${failed.error.message}` }
        : { ok: true, consumers: 'running' },
  };
}

/**
 * A service started by a supervisor (`finsent start` sets FINSENT_SUPERVISOR_PID) stops when the supervisor is
 * gone: after a SIGKILL of `finsent start` its children would otherwise live on as orphans, keep their ports, and
 * answer the next start's health checks. Linux re-parents an orphan, so a changed parent pid is the signal.
 */
function watchSupervisor(stop: () => void, logger: Logger): void {
  const supervisor = Number(process.env.FINSENT_SUPERVISOR_PID);
  if (!Number.isInteger(supervisor) || supervisor <= 0) return;
  const timer = setInterval(() => {
    if (process.ppid === supervisor) return;
    clearInterval(timer);
    logger.warn({ supervisor }, 'supervisor process is gone; stopping');
    stop();
  }, 1_000);
  timer.unref();
}

export async function runUntilSignalled(
  start: () => Promise<RunningService>,
  logger: Logger,
  opts: { stopTimeoutMs?: number } = {},
): Promise<void> {
  let service: RunningService;
  try {
    service = await start();
  } catch (err) {
    if (isConfigError(err)) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    logger.fatal({ err }, 'service failed to start');
    process.exit(1);
  }
  logger.info({ ops: service.opsUrl }, `${service.name} running`);
  let stopping = false;
  const stop = async (signal: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `${service.name} stopping`);
    const timeout = setTimeout(() => {
      logger.error('graceful stop timed out; exiting');
      process.exit(1);
    }, opts.stopTimeoutMs ?? 30_000);
    timeout.unref();
    try {
      await service.stop();
      logger.info(`${service.name} stopped`);
      process.exit(exitCode);
    } catch (err) {
      logger.error({ err }, 'error while stopping');
      process.exit(1);
    }
  };
  void service.failure?.then((err) => {
    logger.fatal({ err }, `${service.name} cannot go on; stopping so that its supervisor restarts it`);
    void stop('consumer failure', 1);
  });
  watchSupervisor(() => void stop('supervisor gone'), logger);
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
