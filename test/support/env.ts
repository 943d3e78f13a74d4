/** Helpers for integration tests: isolated names, temp dirs, quiet loggers, polling. */
import { pino } from 'pino';
import { inject } from 'vitest';

export const brokers = () => inject('kafkaBrokers');

export { tempDirFor as tempDir } from '../../cli/temp.js';

/** Logs only warnings and errors, to stderr, so a failing test shows what the services said. */
export const testLogger = (name: string) =>
  pino({ name, level: process.env.TEST_LOG_LEVEL ?? 'warn' }, pino.destination(2));

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
