import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, commonConfigShape, env, loadConfig } from './config.js';

const schema = z.object({
  ...commonConfigShape,
  PORT: env.port(9400),
  BATCH: env.int(64, 1, 1000),
  ON: env.bool(true),
  URL: env.optionalUrl(),
});

describe('loadConfig', () => {
  it('applies documented defaults', () => {
    expect(loadConfig('t', schema, {})).toEqual({
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      LOG_LEVEL: 'info',
      OPS_HOST: '127.0.0.1',
      PORT: 9400,
      BATCH: 64,
      ON: true,
    });
  });

  it('parses values and treats empty variables as unset', () => {
    const c = loadConfig('t', schema, {
      KAFKA_BROKERS: 'a:1, b:2',
      PORT: '',
      BATCH: '8',
      ON: 'false',
      URL: 'http://ch:8123',
    });
    expect(c).toMatchObject({ KAFKA_BROKERS: ['a:1', 'b:2'], PORT: 9400, BATCH: 8, ON: false, URL: 'http://ch:8123' });
  });

  it('reports every bad value at once, each with its variable name and value', () => {
    let err: unknown;
    try {
      loadConfig('t', schema, {
        KAFKA_BROKERS: 'nohost',
        PORT: '70000',
        BATCH: 'lots',
        ON: 'maybe',
        LOG_LEVEL: 'loud',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems).toHaveLength(5);
    for (const name of ['KAFKA_BROKERS', 'PORT', 'BATCH', 'ON', 'LOG_LEVEL'])
      expect(problems.some((p) => p.startsWith(`${name}:`))).toBe(true);
    expect((err as ConfigError).code).toBe('FINSENT_ERR_CONFIG');
    expect(problems.find((p) => p.startsWith('PORT'))).toContain('"70000"');
  });

  it('never echoes the value of a secret variable', () => {
    const secretSchema = z.object({
      INGEST_TOKEN: z.string().min(16),
      SLACK_WEBHOOK_URL: env.optionalUrl(),
      ALERT_WEBHOOK_SECRET: z.string().min(16),
    });
    let err: unknown;
    try {
      loadConfig('t', secretSchema, {
        INGEST_TOKEN: 'tok-short',
        SLACK_WEBHOOK_URL: 'hooks.slack.com/services/T/B/xyz',
        ALERT_WEBHOOK_SECRET: 'sec-short',
      });
    } catch (e) {
      err = e;
    }
    const message = (err as ConfigError).message;
    expect((err as ConfigError).problems).toHaveLength(3);
    for (const secret of ['tok-short', 'hooks.slack.com', 'sec-short']) expect(message).not.toContain(secret);
    expect(message).toContain('INGEST_TOKEN: ');
    expect(message).toContain('value hidden, 9 characters');
  });

  it('binds the ops server where OPS_HOST says, and refuses what is not an address', () => {
    expect(loadConfig('t', schema, { OPS_HOST: '0.0.0.0' }).OPS_HOST).toBe('0.0.0.0');
    expect(loadConfig('t', schema, { OPS_HOST: '::' }).OPS_HOST).toBe('::');
    expect(() => loadConfig('t', schema, { OPS_HOST: 'example.com' })).toThrow(
      /OPS_HOST: must be an IP address or localhost/,
    );
  });
});
