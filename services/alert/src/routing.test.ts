import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, type Alert } from '@finsent/shared';
import { compileRoutes, globToRegExp, loadRoutes, receiversFor, routeToAll, type RoutingTable } from './routing.js';

const alert = (scope: Alert['scope'], key: string, severity: Alert['severity'] = 'warning') =>
  ({ scope, key, severity }) as Alert;
const SECRET = 'a-signing-key-of-32-characters!!';
const env = { DESK_SLACK: 'https://hooks.slack.example.com/T/B/x', FEED_SECRET: SECRET };

const FILE = {
  receivers: [
    { name: 'desk', slack: { url_env: 'DESK_SLACK' } },
    { name: 'feed', webhook: { url: 'https://risk.example.com/finsent', secret_env: 'FEED_SECRET' } },
    { name: 'rates', webhook: { url: 'https://rates.example.com/hook' } },
  ],
  routes: [
    { match: { watchlist: ['JPM', 'GS'] }, receivers: ['desk'], continue: true },
    { match: { scope: 'topic', key: ['Fed*', 'Treasuries*'], severity: 'critical' }, receivers: ['rates', 'desk'] },
    { match: { scope: 'ticker' }, receivers: ['feed'] },
  ],
  default: ['feed'],
};

const table = (): RoutingTable => {
  const { table: t, problems } = compileRoutes(FILE, env, []);
  expect(problems).toEqual([]);
  return t!;
};

describe('routing', () => {
  it('takes the first matching route, goes on past one that says continue, and falls back to the defaults', () => {
    const t = table();
    expect(receiversFor(alert('ticker', 'JPM'), t)).toEqual(['desk', 'feed']);
    expect(receiversFor(alert('ticker', 'AAPL'), t)).toEqual(['feed']);
    expect(receiversFor(alert('topic', 'Fed | Central Banks', 'critical'), t)).toEqual(['rates', 'desk']);
    // A warning on the same topic is below the route's severity: the defaults take it.
    expect(receiversFor(alert('topic', 'Fed | Central Banks'), t)).toEqual(['feed']);
    expect(receiversFor(alert('market', '*', 'critical'), t)).toEqual(['feed']);
  });

  it('resolves secrets from the environment and keeps the signing key', () => {
    const t = table();
    expect(t.receivers.get('desk')).toEqual({ name: 'desk', kind: 'slack', url: env.DESK_SLACK, secret: undefined });
    expect(t.receivers.get('feed')?.secret).toBe(SECRET);
  });

  it('reports every problem at once, each with where it is', () => {
    const bad = {
      receivers: [
        { name: 'desk', slack: { url_env: 'MISSING_VAR' } },
        { name: 'feed', webhook: { url: 'https://x.example.com', secret_env: 'SHORT' } },
        { name: 'feed', webhook: { url: 'https://y.example.com' } },
      ],
      routes: [{ match: { scope: 'ticker' }, receivers: ['desk', 'nobody'] }],
      default: ['ghost'],
    };
    const { table: t, problems } = compileRoutes(bad, { SHORT: 'x' }, []);
    expect(t).toBeUndefined();
    expect(problems).toEqual([
      'receivers[0] (desk): MISSING_VAR is not set',
      'receivers[1] (feed): SHORT must hold a signing key of at least 16 characters',
      'receivers[2].name: "feed" is defined twice',
      'routes[0].receivers[1]: unknown receiver "nobody"',
      'default[0]: unknown receiver "ghost"',
    ]);
    const shape = compileRoutes(
      {
        receivers: [{ name: 'x', slack: { url: 'ftp://no' }, webhook: { url: 'https://a.b' } }],
        routes: [{ match: { scope: 'sector' }, receivers: [] }],
        extra: 1,
      },
      {},
      [],
    );
    expect(shape.problems.join('\n')).toMatch(/receivers\[0\]\.slack\.url: slack url must be an http\(s\) URL/);
    expect(shape.problems.join('\n')).toMatch(/routes\[0\]\.match\.scope/);
    expect(shape.problems.join('\n')).toMatch(/Unrecognized key.*extra/);
  });

  it('lets routes use the receivers SLACK_WEBHOOK_URL and ALERT_WEBHOOK_URL define, and without a file sends to all', () => {
    const builtIn = [{ name: 'slack', kind: 'slack' as const, url: 'https://hooks.slack.example.com/x' }];
    const { table: t } = compileRoutes({ routes: [{ match: { scope: 'market' }, receivers: ['slack'] }] }, {}, builtIn);
    expect(receiversFor(alert('market', '*'), t!)).toEqual(['slack']);
    expect(receiversFor(alert('topic', 'Earnings'), t!)).toEqual([]);
    expect(receiversFor(alert('topic', 'Earnings'), routeToAll(builtIn))).toEqual(['slack']);
  });

  it('loads YAML and turns what is wrong into a configuration error (the service exits 2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'finsent-routes-'));
    const good = join(dir, 'routes.yaml');
    writeFileSync(
      good,
      'receivers:\n  - name: desk\n    slack: { url_env: DESK_SLACK }\nroutes:\n  - match: { watchlist: [JPM] }\n    receivers: [desk]\n',
    );
    expect(receiversFor(alert('ticker', 'JPM'), loadRoutes(good, env, []))).toEqual(['desk']);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'routes: [ {match: \n');
    expect(() => loadRoutes(broken, env, [])).toThrow(ConfigError);
    expect(() => loadRoutes(join(dir, 'absent.yaml'), env, [])).toThrow(/ALERT_ROUTES_FILE \(.*absent\.yaml\)/);
  });

  it('matches key globs whole, with every other character literal', () => {
    expect(globToRegExp('Fed*').test('Fed | Central Banks')).toBe(true);
    expect(globToRegExp('BRK.B').test('BRK.B')).toBe(true);
    expect(globToRegExp('BRK.B').test('BRKXB')).toBe(false);
    expect(globToRegExp('?PM').test('JPM')).toBe(true);
    expect(globToRegExp('JP').test('JPM')).toBe(false);
  });
});
