/**
 * Who receives an alert, as risk desks run Alertmanager: a routing file (ALERT_ROUTES_FILE, YAML) names receivers
 * (Slack incoming webhooks and generic webhooks) and routes that send alerts to them by scope, key pattern, severity
 * or a watchlist of tickers, with default receivers for an alert no route takes. Routes are tried in order; the first
 * that matches takes the alert, unless it says `continue: true`, as in Alertmanager.
 *
 *   receivers:
 *     - name: rates-desk
 *       slack: { url_env: RATES_SLACK_WEBHOOK }          # secrets from the environment, or `url:` in the file
 *     - name: risk-feed
 *       webhook: { url: https://risk.example.com/finsent, secret_env: RISK_WEBHOOK_SECRET }
 *   routes:
 *     - match: { watchlist: [JPM, GS, HRBL] }            # ticker alerts on these tickers
 *       receivers: [rates-desk]
 *       continue: true
 *     - match: { scope: topic, key: ['Fed*', 'Treasuries*'], severity: critical }
 *       receivers: [rates-desk, risk-feed]
 *   default: [risk-feed]
 *
 * SLACK_WEBHOOK_URL and ALERT_WEBHOOK_URL, when set, are receivers named `slack` and `webhook` that routes may use;
 * without a routing file every alert goes to both, as before.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { ConfigError, TICKER_PATTERN, errorMessage, type Alert } from '@finsent/shared';

const SCOPES = ['market', 'topic', 'ticker'] as const;
const SEVERITIES = ['warning', 'critical'] as const;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
/** The receivers SLACK_WEBHOOK_URL and ALERT_WEBHOOK_URL define. */
export const BUILT_IN_RECEIVERS = { slack: 'slack', webhook: 'webhook' } as const;

const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.union([item, z.array(item).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]) as Array<z.infer<T>>);

/** A URL given in the file or, for a secret, the name of the environment variable that holds it. */
const target = (what: string) =>
  z
    .strictObject({
      url: z.url({ protocol: /^https?$/, error: `${what} url must be an http(s) URL` }).optional(),
      url_env: z.string().regex(ENV_NAME, 'must be an environment variable name').optional(),
    })
    .refine((t) => (t.url === undefined) !== (t.url_env === undefined), 'give exactly one of url and url_env');

const receiverSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only'),
    slack: target('slack').optional(),
    webhook: target('webhook')
      .and(z.object({ secret_env: z.string().regex(ENV_NAME, 'must be an environment variable name').optional() }))
      .optional(),
  })
  .refine((r) => (r.slack === undefined) !== (r.webhook === undefined), 'a receiver is either slack or webhook');

const matchSchema = z.strictObject({
  scope: oneOrMany(z.enum(SCOPES)).optional(),
  /** Glob patterns on the key (`*` any run of characters, `?` one): `Fed*`, `HRBL`, `*`. */
  key: oneOrMany(z.string().min(1)).optional(),
  /** The least severity taken: `critical` takes critical alerts only. */
  severity: z.enum(SEVERITIES).optional(),
  /** Ticker alerts on these tickers. */
  watchlist: z.array(z.string().regex(TICKER_PATTERN, 'not a ticker')).min(1).optional(),
});

const routeSchema = z.strictObject({
  name: z.string().optional(),
  match: matchSchema.default({}),
  receivers: z.array(z.string()).min(1),
  continue: z.boolean().default(false),
});

export const routesFileSchema = z.strictObject({
  receivers: z.array(receiverSchema).default([]),
  routes: z.array(routeSchema).default([]),
  default: z.array(z.string()).default([]),
});
export type RoutesFile = z.infer<typeof routesFileSchema>;

/** A receiver ready to be built: where it posts, and the signing key of a generic webhook. */
export type ReceiverSpec = { name: string; kind: 'slack' | 'webhook'; url: string; secret?: string | undefined };

export interface RoutingTable {
  receivers: Map<string, ReceiverSpec>;
  routes: Array<{ label: string; matches: (a: Alert) => boolean; receivers: string[]; continue: boolean }>;
  defaults: string[];
}

/** `*` and `?` globs, anchored; every other character literal. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

function matcher(m: z.infer<typeof matchSchema>): (a: Alert) => boolean {
  const keys = m.key?.map(globToRegExp);
  const watch = m.watchlist && new Set(m.watchlist);
  return (a) =>
    (!m.scope || m.scope.includes(a.scope)) &&
    (!keys || keys.some((k) => k.test(a.key))) &&
    (!m.severity || m.severity === 'warning' || a.severity === 'critical') &&
    (!watch || (a.scope === 'ticker' && watch.has(a.key)));
}

/** Every problem of a routing file at once, each with where it is (`routes[1].receivers[0]: …`). */
export function compileRoutes(
  file: unknown,
  env: Record<string, string | undefined>,
  builtIn: ReceiverSpec[],
): { table?: RoutingTable; problems: string[] } {
  const parsed = routesFileSchema.safeParse(file ?? {});
  if (!parsed.success)
    return {
      problems: parsed.error.issues.map(
        (i) =>
          `${
            i.path
              .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
              .join('')
              .replace(/^\./, '') || '(file)'
          }: ${i.message}`,
      ),
    };
  const problems: string[] = [];
  const receivers = new Map(builtIn.map((r) => [r.name, r]));
  // Names declared, usable or not: a receiver with a problem is reported once, not again by every route naming it.
  const declared = new Set(receivers.keys());
  parsed.data.receivers.forEach((r, i) => {
    if (declared.has(r.name))
      problems.push(
        `receivers[${i}].name: "${r.name}" is defined twice${r.name in BUILT_IN_RECEIVERS ? ' (SLACK_WEBHOOK_URL / ALERT_WEBHOOK_URL define it)' : ''}`,
      );
    declared.add(r.name);
    const t = (r.slack ?? r.webhook)!;
    const url = t.url ?? env[t.url_env!];
    if (!url) return problems.push(`receivers[${i}] (${r.name}): ${t.url_env} is not set`);
    if (!/^https?:\/\/\S+$/.test(url))
      return problems.push(`receivers[${i}] (${r.name}): ${t.url_env} is not an http(s) URL`);
    const secretEnv = r.webhook?.secret_env;
    const secret = secretEnv ? env[secretEnv] : undefined;
    if (secretEnv && (secret ?? '').length < 16)
      problems.push(`receivers[${i}] (${r.name}): ${secretEnv} must hold a signing key of at least 16 characters`);
    receivers.set(r.name, { name: r.name, kind: r.slack ? 'slack' : 'webhook', url, secret });
  });
  const known = (names: string[], where: string) =>
    names.forEach((n, j) => declared.has(n) || problems.push(`${where}[${j}]: unknown receiver "${n}"`));
  parsed.data.routes.forEach((r, i) => known(r.receivers, `routes[${i}].receivers`));
  known(parsed.data.default, 'default');
  if (problems.length) return { problems };
  return {
    problems,
    table: {
      receivers,
      routes: parsed.data.routes.map((r, i) => ({
        label: r.name ?? `routes[${i}]`,
        matches: matcher(r.match),
        receivers: r.receivers,
        continue: r.continue,
      })),
      defaults: parsed.data.default,
    },
  };
}

/** The receivers of `alert`: every matching route's up to the first without `continue`, else the defaults. */
export function receiversFor(alert: Alert, table: RoutingTable): string[] {
  const out: string[] = [];
  let matched = false;
  for (const route of table.routes) {
    if (!route.matches(alert)) continue;
    matched = true;
    out.push(...route.receivers);
    if (!route.continue) break;
  }
  return [...new Set(matched ? out : table.defaults)];
}

/** Reads and compiles ALERT_ROUTES_FILE; anything wrong is a ConfigError (the service exits 2 and says what). */
export function loadRoutes(
  path: string,
  env: Record<string, string | undefined>,
  builtIn: ReceiverSpec[],
): RoutingTable {
  let file: unknown;
  try {
    file = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError('alert', [`ALERT_ROUTES_FILE (${path}): ${errorMessage(err)}`]);
  }
  const { table, problems } = compileRoutes(file, env, builtIn);
  if (!table)
    throw new ConfigError(
      'alert',
      problems.map((p) => `ALERT_ROUTES_FILE (${path}): ${p}`),
    );
  return table;
}

/** Without a routing file: every alert to every receiver the environment defines. */
export function routeToAll(builtIn: ReceiverSpec[]): RoutingTable {
  return { receivers: new Map(builtIn.map((r) => [r.name, r])), routes: [], defaults: builtIn.map((r) => r.name) };
}
