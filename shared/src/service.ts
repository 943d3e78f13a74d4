/**
 * Process lifecycle shared by every service entry point: start, log readiness, and on SIGTERM or
 * SIGINT stop gracefully (finish or hand back in-flight work, commit, disconnect) before exiting.
 */
import { ConfigError } from './config.js';
import type { Logger } from './logger.js';

export interface RunningService {
  name: string;
  /** Base URL of the service's /metrics and /healthz endpoint. */
  opsUrl: string;
  stop(): Promise<void>;
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
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    logger.fatal({ err }, 'service failed to start');
    process.exit(1);
  }
  logger.info({ ops: service.opsUrl }, `${service.name} running`);
  let stopping = false;
  const stop = async (signal: string) => {
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
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'error while stopping');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
