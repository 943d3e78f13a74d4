/**
 * Slack delivery through an incoming webhook: a Block Kit message saying what spiked, by how
 * much against its baseline, the top headlines as links and a link to the dashboard. Headlines
 * come from the open web, so every piece of text is escaped for mrkdwn: a headline cannot ping
 * @channel, mention a user or smuggle in a link. The webhook URL is a secret and is never logged
 * (the shared retry loop logs only the notifier name).
 */
import type { Alert } from '@finsent/shared';
import { postWithRetries, type DeliveryResult, type HttpPostOptions, type Notifier } from './webhook-notifier.js';

/**
 * Escapes text for Slack mrkdwn. `&<>` become entities, which alone disarms `<!channel>`,
 * `<@U123>` and `<url|label>`; bare `@channel`/`@here`/`@everyone` get a zero-width joiner so they
 * stay readable but never notify; `*_~\`` get a zero-width space before them (Slack has no escape
 * character) so a headline cannot restyle the message.
 */
export function escapeMrkdwn(text: string): string {
  return (
    text
      // Bidirectional controls (U+202E reverses what follows) would let a headline disguise itself or the message.
      .replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/@(channel|here|everyone)\b/gi, '@\u2060$1')
      .replace(/([*_~`])/g, '\u200b$1')
  );
}

/** Longest URL linked; a longer one (tracking junk, or crafted to fill the message) is left out. */
const MAX_LINK_CHARS = 500;
/** Slack's limit on a section's text. */
const SECTION_MAX_CHARS = 3000;

/** A URL is only linked when it is plain http(s), not too long, without characters that end Slack's link syntax. */
function safeUrl(url: string | null): string | null {
  if (!url || url.length > MAX_LINK_CHARS || !/^https?:\/\//i.test(url) || /[<>|\s]/.test(url)) return null;
  return url;
}

/** Whole lines under `heading` while they fit in `max` characters: never a cut inside a `<url|text>` link. */
export function fitLines(heading: string, lines: string[], max = SECTION_MAX_CHARS): string {
  let out = heading;
  for (const line of lines) {
    if (out.length + 1 + line.length > max) break;
    out += `\n${line}`;
  }
  return out;
}

/** Slack's date formatting: each reader sees the time in their own time zone; the fallback is UTC. */
const slackDate = (iso: string) =>
  `<!date^${Math.floor(Date.parse(iso) / 1000)}^{date_short_pretty} {time}|${iso.slice(0, 16).replace('T', ' ')} UTC>`;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/**
 * The dashboard at the alert's moment: an hour before its window to half an hour after, and for a ticker alert the
 * ticker drill-down (`var-ticker`), so the reader lands on what fired rather than on "now".
 */
export function dashboardLink(alert: Alert, grafanaUrl: string | undefined): string | null {
  if (!grafanaUrl) return null;
  let url: URL;
  try {
    url = new URL(grafanaUrl);
  } catch {
    return null;
  }
  url.searchParams.set('from', String(Date.parse(alert.window_start) - 60 * 60_000));
  url.searchParams.set('to', String(Date.parse(alert.window_end) + 30 * 60_000));
  if (alert.scope === 'ticker') url.searchParams.set('var-ticker', alert.key);
  return url.toString();
}

/** What spiked, in words: a ticker with its company's name when the bundled list knows it ("ticker AAPL (Apple Inc.)"). */
export function scopeLabel(alert: Alert, companyNames?: ReadonlyMap<string, string>): string {
  if (alert.scope === 'market') return 'market-wide';
  const name = alert.scope === 'ticker' ? companyNames?.get(alert.key) : undefined;
  return `${alert.scope} ${alert.key}${name ? ` (${name})` : ''}`;
}

export function slackMessage(
  alert: Alert,
  grafanaUrl?: string,
  companyNames?: ReadonlyMap<string, string>,
): { text: string; blocks: unknown[] } {
  const scope = scopeLabel(alert, companyNames);
  const icon = alert.severity === 'critical' ? ':rotating_light: CRITICAL' : ':warning: Warning';
  const title = `${icon}: negative spike, ${scope}`;
  const minutes = Math.round((Date.parse(alert.window_end) - Date.parse(alert.window_start)) / 60_000);
  const lift =
    alert.baseline_share > 0 ? ` (${(alert.negative_share / alert.baseline_share).toFixed(1)}× baseline)` : '';
  const headlines = alert.headlines.map((h) => {
    const url = safeUrl(h.url);
    const text = escapeMrkdwn(h.title.slice(0, 200));
    return url ? `• <${url}|${text}>` : `• ${text}`;
  });
  const blocks: unknown[] = [
    { type: 'header', text: { type: 'plain_text', text: title.slice(0, 150), emoji: true } },
    {
      type: 'section',
      fields: [
        {
          type: 'mrkdwn',
          text: `*Negative share*\n${pct(alert.negative_share)} vs baseline ${pct(alert.baseline_share)}${lift}`,
        },
        { type: 'mrkdwn', text: `*z-score*\n${alert.z_score.toFixed(2)}` },
        {
          type: 'mrkdwn',
          text: `*Items*\n${alert.negative_count} negative of ${alert.total_count} (novelty-weighted)`,
        },
        { type: 'mrkdwn', text: `*Window*\n${minutes} min ending ${slackDate(alert.window_end)}` },
      ],
    },
  ];
  if (headlines.length)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: fitLines('*Top headlines*', headlines) } });
  const grafana = safeUrl(dashboardLink(alert, grafanaUrl));
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `alert ${alert.id}${grafana ? ` · <${grafana}|Grafana dashboard>` : ''}` }],
  });
  // `text` is the notification fallback, rendered as mrkdwn too: its dynamic part is escaped, the emoji code is not
  // (escaping put a zero-width space into `:rotating_light:`, which showed as text).
  const summary = `negative spike, ${scope}: ${pct(alert.negative_share)} negative vs ${pct(alert.baseline_share)} baseline, z ${alert.z_score.toFixed(2)}`;
  return { text: `${icon}: ${escapeMrkdwn(summary)}`, blocks };
}

export class SlackNotifier implements Notifier {
  constructor(
    private readonly webhookUrl: string,
    private readonly o: HttpPostOptions & {
      grafanaUrl?: string | undefined;
      companyNames?: ReadonlyMap<string, string>;
    },
    /** The receiver's name in logs and metrics. */
    readonly name = 'slack',
  ) {}

  deliver(alert: Alert, signal?: AbortSignal): Promise<DeliveryResult> {
    return postWithRetries(
      this.webhookUrl,
      JSON.stringify(slackMessage(alert, this.o.grafanaUrl, this.o.companyNames)),
      () => ({}),
      this.o,
      this.name,
      signal,
    );
  }
}
