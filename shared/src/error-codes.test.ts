/**
 * The error registry and docs/errors.md agree (as fastify tests its documented error codes): every
 * registered code is documented with the same retry hint and the same "where", no documented code is
 * missing from the registry, and every registered code is still raised somewhere.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, RETRY_HINTS, isErrorCode, isRetriableCode, type ErrorCode } from './error-codes.js';
import { FinsentError, errorLine, isConfigError } from './errors.js';
import { ConfigError } from './config.js';

const ROOT = new URL('../../', import.meta.url).pathname;
/** The error-code part of docs/errors.md (the dead-letter reasons follow it). */
const DOC = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8').split('## Dead-letter reasons')[0]!;

/** The cells of each markdown table row whose first cell is a backquoted name matching `first`. */
function tableRows(first: RegExp): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of DOC.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const cells = line
      .slice(1, line.endsWith('|') ? -1 : undefined)
      .split(' | ')
      .map((c) => c.trim());
    const name = /^`([^`]+)`$/.exec(cells[0]!)?.[1];
    if (name && first.test(name)) {
      expect(rows.has(name), `${name} documented twice`).toBe(false);
      rows.set(name, cells);
    }
  }
  return rows;
}

describe('the error registry', () => {
  const documented = tableRows(/^FINSENT_ERR_/);

  it('documents every registered code in docs/errors.md with the same retry hint and raiser, and no other', () => {
    expect([...documented.keys()].sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      const [, where, retry, meaning] = documented.get(code)!;
      expect(retry, `${code}: retry hint`).toBe(`\`${info.retry}\``);
      expect(where, `${code}: where`).toBe(info.raisedBy);
      expect(meaning, `${code}: meaning`).toBeTruthy();
      expect(info.description, `${code}: description`).toMatch(/^\S.*\S$/);
    }
  });

  it('documents each retry hint, and only those', () => {
    const hints = tableRows(/^[a-z_]+$/);
    expect([...hints.keys()].sort()).toEqual(Object.keys(RETRY_HINTS).sort());
  });

  it('holds no code that nothing raises any more', () => {
    const sources: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (name === 'node_modules' || name.startsWith('.')) continue;
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.ts$/.test(name) && !/\.test\.ts$/.test(name) && !path.endsWith('error-codes.ts'))
          sources.push(readFileSync(path, 'utf8'));
      }
    };
    for (const dir of ['shared/src', 'services', 'cli']) walk(join(ROOT, dir));
    const raised = new Set(sources.flatMap((s) => [...s.matchAll(/'(FINSENT_ERR_[A-Z_]+)'/g)].map((m) => m[1]!)));
    for (const code of Object.keys(ERROR_CODES))
      expect(raised.has(code), `${code} is registered but never raised`).toBe(true);
  });

  it("gives a FinsentError the retriability of its code's hint", () => {
    const retriable = (code: ErrorCode, status?: number) => isRetriableCode(code, status);
    expect(new FinsentError('FINSENT_ERR_FEED_TIMEOUT', 'x').retriable).toBe(true);
    expect(new FinsentError('FINSENT_ERR_FEED_PARSE', 'x').retriable).toBe(false);
    expect(new FinsentError('FINSENT_ERR_CONFIG', 'x').retriable).toBe(false);
    for (const status of [408, 429, 500, 503])
      expect(new FinsentError('FINSENT_ERR_FEED_HTTP', 'x', { status }).retriable).toBe(true);
    for (const status of [301, 400, 401, 403, 404, 410])
      expect(new FinsentError('FINSENT_ERR_WEBHOOK_HTTP', 'x', { status }).retriable).toBe(false);
    expect(new FinsentError('FINSENT_ERR_SOCIAL_HTTP', 'x', { status: 502 })).toMatchObject({
      code: 'FINSENT_ERR_SOCIAL_HTTP',
      status: 502,
      retriable: true,
    });
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      if (info.retry !== 'http_status') expect(retriable(code as ErrorCode), code).toBe(info.retry === 'backoff');
    }
    expect(isErrorCode('FINSENT_ERR_NOT_A_CODE')).toBe(false);
    expect(isRetriableCode('FINSENT_ERR_NOT_A_CODE')).toBe(false);
  });

  it('accepts only registered codes, with a status where the hint needs one, and no retriable of its own (compile-time)', () => {
    // @ts-expect-error: not a registered code
    expect(new FinsentError('FINSENT_ERR_NOT_A_CODE', 'x').retriable).toBe(false);
    // @ts-expect-error: the registry decides retriability, not the call site
    expect(new FinsentError('FINSENT_ERR_FEED_PARSE', 'x', { retriable: true }).retriable).toBe(false);
    // @ts-expect-error: an http_status code needs its status
    expect(new FinsentError('FINSENT_ERR_FEED_HTTP', 'x').retriable).toBe(false);
  });

  it('is shown by the CLI as `message [CODE]`, a configuration error by its message alone', () => {
    expect(errorLine(new FinsentError('FINSENT_ERR_INPUT', 'cannot read x.csv'))).toBe(
      'cannot read x.csv [FINSENT_ERR_INPUT]',
    );
    const config = new ConfigError('ingest', ['LOG_LEVEL: bad']);
    expect(errorLine(config)).toBe('invalid ingest configuration:\n  - LOG_LEVEL: bad');
    expect(isConfigError(config)).toBe(true);
    expect(isConfigError(new FinsentError('FINSENT_ERR_CONFIG', 'FEEDS_FILE feeds.yaml: bad'))).toBe(true);
    expect(isConfigError(new FinsentError('FINSENT_ERR_INPUT', 'x'))).toBe(false);
    expect(errorLine(new Error('plain'))).toBe('plain');
  });
});
