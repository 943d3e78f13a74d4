import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { LOG_REDACTION, createLogger } from './logger.js';

describe('log redaction', () => {
  it('never writes tokens, secrets, passwords or webhook URLs', () => {
    let out = '';
    const sink = new Writable({ write: (chunk, _enc, cb) => ((out += String(chunk)), cb()) });
    const logger = pino({ redact: LOG_REDACTION }, sink);
    logger.info(
      {
        config: {
          INGEST_TOKEN: 'tok-123456789',
          ALERT_WEBHOOK_SECRET: 'sec-123456789',
          SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/xyz',
          CLICKHOUSE_PASSWORD: 'pw-123',
        },
        req: { headers: { authorization: 'Bearer tok-123456789' } },
      },
      'starting',
    );
    expect(out).toContain('starting');
    for (const secret of ['tok-123456789', 'sec-123456789', 'hooks.slack.com', 'pw-123'])
      expect(out).not.toContain(secret);
  });

  it('a logger made before the config is validated survives an unknown LOG_LEVEL (the config reports it)', () => {
    expect(createLogger('t', 'loud').level).toBe('info');
    expect(createLogger('t', 'debug').level).toBe('debug');
    expect(createLogger('t', 'silent').level).toBe('silent');
  });
});
