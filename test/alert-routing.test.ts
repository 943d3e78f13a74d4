/**
 * Routing and silences end to end on a real broker, with two local receivers: a server speaking Slack's
 * incoming-webhook protocol for a desk that watches one ticker, and a signed generic webhook for everything else.
 * A silence set with `finsent silence add` (the CLI, as a person would) mutes a third ticker: its alert is recorded
 * on the alerts topic as silenced and reaches no receiver.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { AlertSchema, createKafkajsBus, type Alert } from '@finsent/shared';
import {
  SilenceBook,
  SlackNotifier,
  WebhookNotifier,
  createDispatcher,
  followSilences,
  loadRoutes,
  type Notifier,
} from '@finsent/alert';
import { startWebhookSink } from '../devkit/webhook-sink.js';
import { alertProcess, alertTestTopics, minuteItems } from './support/alert-process.js';
import { brokers, tempDir, testLogger, waitFor } from './support/env.js';

const run = Date.now();
const topics = alertTestTopics('alert-routing', run);
const T0 = Date.UTC(2026, 0, 6, 14, 0);
// Tickers of this run only, so that nothing else on the shared broker (or a later run) matches them.
const suffix = (run % 1_000_000).toString(36).toUpperCase();
const [WATCHED, OTHER, MUTED] = ['W', 'O', 'M'].map((c) => `Z${c}${suffix}`.slice(0, 10)) as [string, string, string];
const SECRET = 'routing-test-secret-0123456789';

const items = (fromMin: number, toMin: number, share: number, seed: number) =>
  minuteItems({ t0: T0, fromMin, toMin, share, seed, tickers: [WATCHED, OTHER, MUTED], idBase: 4096 });

/** A receiver speaking Slack's incoming-webhook protocol: answers `ok`, keeps each message's header text. */
async function slackReceiver() {
  const headers: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const m = JSON.parse(body) as { blocks: Array<{ type: string; text?: { text: string } }> };
      headers.push(m.blocks.find((b) => b.type === 'header')!.text!.text);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/T0/B0/x`,
    headers,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const finsent = (args: string[]) =>
  promisify(execFile)(process.execPath, [new URL('../bin/finsent.mjs', import.meta.url).pathname, ...args], {
    env: { ...process.env, KAFKA_BROKERS: brokers(), LOG_LEVEL: 'warn' },
  });

describe('alert routing and silences', () => {
  const logger = testLogger('alert-routing');
  const bus = createKafkajsBus({ brokers: [brokers()], clientId: 'alert-routing-test', logger });
  const dir = tempDir('alert-routing');
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of closers.reverse()) await c();
    dir.remove();
  });

  it('sends each alert where its route says, and records a silenced one without delivering it', async () => {
    const added = await finsent([
      'silence',
      'add',
      '--scope',
      'ticker',
      '--key',
      MUTED,
      '--for',
      '2h',
      '--reason',
      'known event, desk informed',
      '--by',
      'routing-test',
    ]);
    const silenceId = /^silence ([0-9a-f]{12}):/.exec(added.stdout)![1]!;
    const listed = JSON.parse((await finsent(['silence', 'list', '--format', 'json'])).stdout) as Array<{
      id: string;
      key: string;
      by: string;
      state: string;
    }>;
    expect(listed.find((s) => s.id === silenceId)).toEqual(
      expect.objectContaining({ key: MUTED, by: 'routing-test', state: 'active' }),
    );

    const desk = await slackReceiver();
    closers.push(desk.close);
    const feed = await startWebhookSink({ secret: SECRET });
    closers.push(() => feed.close());
    const routesFile = join(dir.path, 'routes.yaml');
    writeFileSync(
      routesFile,
      [
        'receivers:',
        '  - name: desk',
        '    slack: { url_env: DESK_SLACK_URL }',
        '  - name: feed',
        `    webhook: { url: '${feed.url}', secret_env: FEED_SECRET }`,
        'routes:',
        `  - match: { watchlist: [${WATCHED}] }`,
        '    receivers: [desk]',
        'default: [feed]',
      ].join('\n'),
    );
    const table = loadRoutes(routesFile, { DESK_SLACK_URL: desk.url, FEED_SECRET: SECRET }, []);
    const delivery = { maxAttempts: 3, timeoutMs: 5_000, baseBackoffMs: 50, logger };
    const notifiers = new Map<string, Notifier>([
      ['desk', new SlackNotifier(table.receivers.get('desk')!.url, delivery, 'desk')],
      ['feed', new WebhookNotifier(table.receivers.get('feed')!.url, SECRET, delivery, 'feed')],
    ]);
    const silences = new SilenceBook();
    const following = await followSilences({ bus, book: silences, logger });
    closers.push(() => following.close());
    expect(silences.get(silenceId)?.reason).toBe('known event, desk informed');

    await bus.ensureTopics([
      { topic: topics.scored, partitions: 3 },
      { topic: topics.signals, partitions: 3 },
      { topic: topics.alerts, partitions: 1 },
    ]);
    const producer = await bus.producer();
    closers.push(() => producer.close());
    await producer.send(
      topics.scored,
      [...items(0, 120, 0.1, 1), ...items(120, 130, 0.9, 2)].map((x) => ({ key: x.id, value: JSON.stringify(x) })),
    );
    const alerts = alertProcess({
      bus,
      logger,
      topics,
      group: `alert-routing-${run}`,
      notifiers: [...notifiers.values()],
      dispatch: createDispatcher({ table, notifiers, silences }),
    });
    await alerts.start();
    closers.push(alerts.stop);

    const recorded: Alert[] = [];
    const consumer = await bus.consumer({
      groupId: `alert-routing-read-${run}`,
      topics: [topics.alerts],
      fromBeginning: true,
      maxWaitTimeMs: 100,
    });
    closers.push(() => consumer.close());
    await consumer.run(
      async (batch) =>
        void recorded.push(...batch.map((m) => AlertSchema.parse(JSON.parse(m.value!.toString('utf8'))))),
    );
    const tickerAlert = (t: string) => recorded.find((a) => a.scope === 'ticker' && a.key === t);
    await waitFor(
      'the three ticker alerts on the alerts topic',
      async () => [WATCHED, OTHER, MUTED].every((t) => tickerAlert(t)),
      60_000,
    );

    // The watched ticker went to the desk (Slack) only; the rest to the feed (signed webhook) by default.
    expect(tickerAlert(WATCHED)!.delivery_state).toBe('delivered');
    expect(desk.headers.length).toBeGreaterThan(0);
    for (const h of desk.headers) expect(h).toContain(`ticker ${WATCHED}`);
    expect(tickerAlert(OTHER)!.delivery_state).toBe('delivered');
    expect(feed.received.some((a) => a.scope === 'ticker' && a.key === OTHER)).toBe(true);
    // The spike is market-wide too (every item counts for the market, which then speaks for its topics).
    expect(feed.received.some((a) => a.scope === 'market' || a.scope === 'topic')).toBe(true);
    expect(feed.received.some((a) => a.key === WATCHED)).toBe(false);
    // The muted ticker: recorded as silenced, with the silence that muted it, and delivered to nobody.
    const muted = tickerAlert(MUTED)!;
    expect(muted.delivery_state).toBe('silenced');
    expect(muted.delivery_error).toContain(`silenced by ${silenceId} (routing-test`);
    expect(feed.received.some((a) => a.key === MUTED)).toBe(false);
    expect(desk.headers.some((h) => h.includes(MUTED))).toBe(false);

    // Removing the silence: every follower sees it lifted; the list keeps it, marked removed.
    expect((await finsent(['silence', 'remove', silenceId, '--by', 'routing-test'])).stdout).toContain(
      `silence ${silenceId} removed`,
    );
    await waitFor('the removal at the follower', async () => silences.get(silenceId)?.removed_at !== null);
    const all = JSON.parse((await finsent(['silence', 'list', '--all', '--format', 'json'])).stdout) as Array<{
      id: string;
      state: string;
      removed_by: string;
    }>;
    expect(all.find((s) => s.id === silenceId)).toEqual(
      expect.objectContaining({ state: 'removed', removed_by: 'routing-test' }),
    );
  }, 120_000);

  it('refuses bad silence commands as usage errors (exit 2)', async () => {
    for (const args of [
      ['silence', 'add', '--key', 'X', '--for', '2h'],
      ['silence', 'add', '--key', 'X', '--for', 'soon', '--reason', 'r'],
      ['silence', 'frobnicate'],
    ]) {
      const r = await finsent(args).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => e,
      );
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('Usage: finsent silence add');
    }
  });
});
