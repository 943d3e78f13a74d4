/**
 * Against a local server that speaks Slack's incoming-webhook protocol: answers `ok`, 429 with
 * Retry-After when rate limited, 400 `invalid_blocks` for a malformed message.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { companyNames, type Alert } from '@finsent/shared';
import { SlackNotifier, dashboardLink, escapeMrkdwn, slackMessage } from './slack-notifier.js';

interface Hit {
  at: number;
  body: {
    text?: string;
    blocks?: Array<{
      type: string;
      text?: { text: string };
      fields?: Array<{ text: string }>;
      elements?: Array<{ text: string }>;
    }>;
  };
  headers: IncomingHttpHeaders;
}

async function slackServer(answer: (n: number) => { status: number; body: string; headers?: Record<string, string> }) {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      hits.push({ at: Date.now(), body: JSON.parse(data), headers: req.headers });
      const a = answer(hits.length);
      res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers }).end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T000/B000/XXXX`,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const alert: Alert = {
  schema_version: 1,
  id: 'a'.repeat(32),
  kind: 'negative_spike',
  scope: 'topic',
  key: 'Financials',
  severity: 'critical',
  window_start: '2026-01-05T14:00:00.000Z',
  window_end: '2026-01-05T14:02:00.000Z',
  negative_count: 9,
  total_count: 10,
  negative_share: 0.9,
  baseline_share: 0.2,
  z_score: 6.1,
  headlines: [
    {
      id: '1',
      title: '<!channel> Bank *collapses* @here <@U123ABC> <https://evil.example|click> & run',
      url: 'https://news.example.com/a?x=1&y=2',
    },
    { id: '2', title: 'Plain headline', url: 'javascript:alert(1)' },
  ],
  fired_at: '2026-01-05T14:02:05.000Z',
  delivery_state: 'pending',
  delivery_attempts: 0,
  delivery_error: null,
};
const opts = {
  maxAttempts: 3,
  timeoutMs: 5_000,
  baseBackoffMs: 10,
  logger: pino({ level: 'silent' }),
  grafanaUrl: 'https://grafana.example.com/d/finsent',
};

describe('SlackNotifier', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  it('posts a Block Kit message with the numbers, linked headlines and the dashboard link', async () => {
    const s = await slackServer(() => ({ status: 200, body: 'ok' }));
    close = s.close;
    const r = await new SlackNotifier(s.url, opts).deliver(alert);
    expect(r).toEqual({ state: 'delivered', attempts: 1, error: null });
    const { blocks, text } = s.hits[0]!.body;
    expect(blocks!.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(blocks![0]!.text!.text).toContain('CRITICAL');
    expect(blocks![0]!.text!.text).toContain('topic Financials');
    expect(blocks![1]!.fields!.map((f) => f.text).join('\n')).toMatch(
      /90\.0% vs baseline 20\.0% \(4\.5× baseline\)[\s\S]*6\.10[\s\S]*2 min/,
    );
    expect(blocks![2]!.text!.text).toContain('<https://news.example.com/a?x=1&y=2|');
    const from = Date.parse(alert.window_start) - 3_600_000;
    const to = Date.parse(alert.window_end) + 1_800_000;
    expect(blocks![3]!.elements![0]!.text).toContain(
      `<https://grafana.example.com/d/finsent?from=${from}&to=${to}|Grafana dashboard>`,
    );
    expect(text).toContain('negative vs');
  });

  it('escapes a malicious headline: no mention, no link, no formatting gets through', () => {
    const body = JSON.stringify(slackMessage(alert));
    const headlines = slackMessage(alert).blocks[2] as { text: { text: string } };
    const t = headlines.text.text;
    expect(t).not.toMatch(/<!channel>|<@U123ABC>|<https:\/\/evil/);
    expect(t).toContain('&lt;!channel&gt;');
    expect(t).toContain('&lt;@U123ABC&gt;');
    expect(t).toContain('&amp; run');
    expect(t).not.toMatch(/(^|[^\u2060])@here/);
    expect(t).not.toMatch(/[^\u200b]\*collapses/);
    // A javascript: URL is shown as text, never linked.
    expect(t).toContain('• Plain headline');
    expect(body).not.toContain('javascript:alert');
    expect(escapeMrkdwn('a & b <c> @channel')).toBe('a &amp; b &lt;c&gt; @\u2060channel');
  });

  it('keeps every headline line whole within 3,000 characters and drops bidi controls and oversized links', () => {
    const long = `https://news.example.com/${'x'.repeat(3_000)}`;
    const crafted: Alert = {
      ...alert,
      headlines: [
        { id: '1', title: 'Long link headline', url: long },
        { id: '2', title: 'Evil \u202Eknab\u202C headline', url: 'https://news.example.com/b' },
        ...Array.from({ length: 8 }, (_, i) => ({
          id: `h${i}`,
          title: `Headline ${i} ${'y'.repeat(190)}`,
          url: `https://news.example.com/${'z'.repeat(400)}${i}`,
        })),
      ],
    };
    const t = (slackMessage(crafted).blocks[2] as { text: { text: string } }).text.text;
    expect(t.length).toBeLessThanOrEqual(3_000);
    expect(t).toContain('• Long link headline');
    expect(t).not.toContain(long);
    expect(t).toContain('Evil knab headline');
    expect(t).not.toMatch(/[\u202a-\u202e]/);
    // Each line is whole: every opened link is closed.
    for (const line of t.split('\n').slice(1)) expect(line.startsWith('• <') ? line.endsWith('>') : true).toBe(true);
  });

  it("links a ticker alert to its ticker drill-down at the alert's time", () => {
    const link = dashboardLink(
      { ...alert, scope: 'ticker', key: 'BRK.B' },
      'https://grafana.example.com/d/finsent?orgId=1',
    );
    const u = new URL(link!);
    expect(u.searchParams.get('orgId')).toBe('1');
    expect(u.searchParams.get('var-ticker')).toBe('BRK.B');
    expect(Number(u.searchParams.get('from'))).toBe(Date.parse(alert.window_start) - 3_600_000);
    expect(dashboardLink(alert, undefined)).toBeNull();
  });

  it('names the company beside a ticker the bundled list knows, in the header and the fallback text', () => {
    const names = companyNames();
    const m = slackMessage({ ...alert, scope: 'ticker', key: 'JPM' }, undefined, names);
    const header = (m.blocks[0] as { text: { text: string } }).text.text;
    expect(header).toContain(`ticker JPM (${names.get('JPM')})`);
    expect(names.get('JPM')).toMatch(/JPMorgan/);
    expect(m.text).toContain('ticker JPM (JPMorgan');
    // A ticker the list does not know keeps the bare symbol; a topic alert never looks a name up.
    expect(
      (
        slackMessage({ ...alert, scope: 'ticker', key: 'ZZZQ' }, undefined, names).blocks[0] as {
          text: { text: string };
        }
      ).text.text,
    ).toMatch(/ticker ZZZQ$/);
    expect((slackMessage(alert, undefined, names).blocks[0] as { text: { text: string } }).text.text).toMatch(
      /topic Financials$/,
    );
  });

  it("shows the emoji in the fallback text and dates in each reader's time zone", () => {
    const m = slackMessage(alert);
    expect(m.text.startsWith(':rotating_light: CRITICAL: ')).toBe(true);
    const fields = (m.blocks[1] as { fields: Array<{ text: string }> }).fields.map((f) => f.text).join('\n');
    expect(fields).toContain(
      `<!date^${Date.parse(alert.window_end) / 1000}^{date_short_pretty} {time}|2026-01-05 14:02 UTC>`,
    );
  });

  it('waits as long as a 429 Retry-After says, then delivers', async () => {
    const s = await slackServer((n) =>
      n === 1 ? { status: 429, body: 'rate_limited', headers: { 'retry-after': '1' } } : { status: 200, body: 'ok' },
    );
    close = s.close;
    const r = await new SlackNotifier(s.url, opts).deliver(alert);
    expect(r.state).toBe('delivered');
    expect(r.attempts).toBe(2);
    expect(s.hits[1]!.at - s.hits[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('gives up on 400 invalid_blocks at once and reports it as failed', async () => {
    const s = await slackServer(() => ({ status: 400, body: 'invalid_blocks' }));
    close = s.close;
    const r = await new SlackNotifier(s.url, opts).deliver(alert);
    expect(r).toMatchObject({ state: 'failed', attempts: 1 });
    expect(r.error).toContain('invalid_blocks');
    expect(s.hits).toHaveLength(1);
  });

  it('reports a Slack that keeps failing as failed after the configured attempts', async () => {
    const s = await slackServer(() => ({ status: 500, body: 'internal_error' }));
    close = s.close;
    const r = await new SlackNotifier(s.url, opts).deliver(alert);
    expect(r).toMatchObject({ state: 'failed', attempts: 3 });
    expect(s.hits).toHaveLength(3);
  });
});
