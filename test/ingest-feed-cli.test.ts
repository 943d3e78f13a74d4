/** `finsent feed`: the operator's dry run, as a real process against real files and a local HTTP feed. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawItemSchema } from '@finsent/shared';
import { serveFeeds } from './support/rss.js';

const BIN = new URL('../bin/finsent.mjs', import.meta.url).pathname;
const fixture = (name: string) => new URL(`./fixtures/feeds/${name}`, import.meta.url).pathname;

async function finsent(args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [BIN, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const items = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => RawItemSchema.parse(JSON.parse(l)));

describe('finsent feed', () => {
  let server: Awaited<ReturnType<typeof serveFeeds>>;
  beforeAll(async () => {
    server = await serveFeeds({
      '/atom.xml': { body: readFileSync(fixture('atom.xml')), contentType: 'application/atom+xml' },
      '/page': { body: readFileSync(fixture('not-a-feed.html')), contentType: 'text/html' },
    });
  });
  afterAll(() => server?.close());

  it('prints a feed file as valid NDJSON raw items', async () => {
    const r = await finsent(['feed', fixture('rss2.xml')]);
    expect(r.code).toBe(0);
    expect(items(r.stdout)).toHaveLength(5);
    expect(r.stderr).toContain('5 of 5 entries valid');
  });

  it('fetches a feed over HTTP', async () => {
    const r = await finsent(['feed', server.url('/atom.xml'), '--allow-private']);
    expect(r.code).toBe(0);
    expect(items(r.stdout).every((i) => i.source_kind === 'atom')).toBe(true);
  });

  it.each([
    ['a broken file', () => fixture('broken.xml'), 'FINSENT_ERR_FEED_PARSE'],
    ['an HTML page', () => server.url('/page'), 'not a feed'],
    ['a missing URL', () => server.url('/nope.xml'), 'HTTP 404'],
    ['a missing file', () => '/nonexistent/feed.xml', 'ENOENT'],
  ])('fails clearly with a non-zero exit on %s', async (_what, target, message) => {
    const r = await finsent(['feed', target(), ...(target().startsWith('http') ? ['--allow-private'] : [])]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
  });

  it('refuses a loopback feed unless --allow-private names it', async () => {
    const r = await finsent(['feed', server.url('/atom.xml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('FINSENT_ERR_FEED_FORBIDDEN_TARGET');
  });

  it('answers --help and rejects a missing argument', async () => {
    expect((await finsent(['feed', '--help'])).code).toBe(0);
    expect((await finsent(['feed'])).code).toBe(2);
  });
});
