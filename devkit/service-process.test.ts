import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ServiceProcess } from './service-process.js';

describe('ServiceProcess', () => {
  it('restarts a service that dies during start-up, then fails with the tail of its log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'finsent-svc-'));
    // An invalid environment makes the service exit (code 2) before it listens.
    const svc = new ServiceProcess(
      'alert',
      1,
      { ...process.env, KAFKA_BROKERS: '', ALERT_WEBHOOK_URL: 'not a url' },
      join(dir, 'alert.log'),
    );
    const reported: string[] = [];
    svc.onStartFailure = (message) => reported.push(message);
    const failure = await svc.start(30_000, 2).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(reported).toEqual([expect.stringContaining('alert exited during start-up (code 2, attempt 1 of 2)')]);
    expect(failure?.message).toContain('attempt 2 of 2');
    expect(failure?.message).toContain('ALERT_WEBHOOK_URL');
    expect(svc.running).toBe(false);
    // both attempts appended to one log
    expect(readFileSync(join(dir, 'alert.log'), 'utf8').match(/ALERT_WEBHOOK_URL/g)).toHaveLength(2);
  }, 60_000);
});
