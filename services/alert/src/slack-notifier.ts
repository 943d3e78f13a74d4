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
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(channel|here|everyone)\b/gi, '@\u2060$1')
    .replace(/([*_~`])/g, '\u200b$1');
}

/** A URL is only linked when it is plain http(s) without characters that end Slack's link syntax. */
function safeUrl(url: string | null): string | null {
  if (!url || !/^https?:\/\//i.test(url) || /[<>|\s]/.test(url)) return null;
  return url;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function slackMessage(alert: Alert, grafanaUrl?: string): { text: string; blocks: unknown[] } {
  const scope = alert.scope === 'market' ? 'market-wide' : `${alert.scope} ${alert.key}`;
  const title = `${alert.severity === 'critical' ? ':rotating_light: CRITICAL' : ':warning: Warning'}: negative spike, ${scope}`;
  const minutes = Math.round((Date.parse(alert.window_end) - Date.parse(alert.window_start)) / 60_000);
  const lift = alert.baseline_share > 0 ? ` (${(alert.negative_share / alert.baseline_share).toFixed(1)}× baseline)` : '';
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
        { type: 'mrkdwn', text: `*Negative share*\n${pct(alert.negative_share)} vs baseline ${pct(alert.baseline_share)}${lift}` },
        { type: 'mrkdwn', text: `*z-score*\n${alert.z_score.toFixed(2)}` },
        { type: 'mrkdwn', text: `*Items*\n${alert.negative_count} negative of ${alert.total_count} (novelty-weighted)` },
        { type: 'mrkdwn', text: `*Window*\n${minutes} min ending ${alert.window_end}` },
      ],
    },
  ];
  if (headlines.length) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Top headlines*\n${headlines.join('\n')}`.slice(0, 3000) } });
  const grafana = safeUrl(grafanaUrl ?? null);
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `alert ${alert.id}${grafana ? ` · <${grafana}|Grafana dashboard>` : ''}` }] });
  // `text` is the notification fallback: plain, and escaped as well since Slack renders it too.
  return { text: escapeMrkdwn(`${title}: ${pct(alert.negative_share)} negative vs ${pct(alert.baseline_share)} baseline, z ${alert.z_score.toFixed(2)}`), blocks };
}

export class SlackNotifier implements Notifier {
  readonly name = 'slack';
  constructor(
    private readonly webhookUrl: string,
    private readonly o: HttpPostOptions & { grafanaUrl?: string | undefined },
  ) {}

  deliver(alert: Alert, signal?: AbortSignal): Promise<DeliveryResult> {
    return postWithRetries(this.webhookUrl, JSON.stringify(slackMessage(alert, this.o.grafanaUrl)), () => ({}), this.o, this.name, signal);
  }
}
