import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs on stdout (pino). Fields that may carry secrets are redacted wherever they appear,
 * so a config dump or an HTTP error never leaks a token.
 */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['*.token', '*.secret', '*.password', '*.authorization', '*.INGEST_TOKEN', '*.WEBHOOK_SECRET', '*.SLACK_WEBHOOK_URL', 'headers.authorization'],
      censor: '[redacted]',
    },
  });
}
