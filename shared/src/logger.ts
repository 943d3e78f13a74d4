import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Fields that may carry secrets, censored wherever they appear (top level, one or two levels
 * down), so a config dump or an HTTP error never leaks a token. pino's wildcard matches one level.
 */
const SECRET_FIELDS = [
  'token',
  'secret',
  'password',
  'authorization',
  'INGEST_TOKEN',
  'ALERT_WEBHOOK_SECRET',
  'SLACK_WEBHOOK_URL',
  'CLICKHOUSE_PASSWORD',
  'MASTODON_TOKEN',
];

export const LOG_REDACTION = {
  paths: SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
  censor: '[redacted]',
};

/**
 * JSON logs on stdout (pino), one logger per service, with secrets redacted. The logger exists before the config
 * is validated (it reports the validation), so an unknown level falls back to info here and the config's
 * schema reports LOG_LEVEL like any bad value (exit 2) instead of pino throwing a stack trace.
 */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL || 'info'): Logger {
  return pino({
    name: service,
    level: level in pino.levels.values || level === 'silent' ? level : 'info',
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: LOG_REDACTION,
  });
}
