/**
 * The provisioning files against what Grafana does with them. Grafana interpolates provisioning values with Go's
 * os.Expand (`$$` is a literal `$`): `$VAR` and `${VAR}` only. `${VAR:-default}` is looked up as a variable named
 * `VAR:-default`, which never exists, so the value came out empty and both data sources were broken.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const INFRA = fileURLToPath(new URL('..', import.meta.url));

const isShellSpecial = (c: string) => '*#$@!?-0123456789'.includes(c);
const isAlphaNum = (c: string) => /[A-Za-z0-9_]/.test(c);

/** Go's os.getShellName: the variable name after a `$` and how many characters it took. */
function shellName(s: string): [string, number] {
  if (s[0] === '{') {
    if (s.length > 2 && isShellSpecial(s[1]!) && s[2] === '}') return [s.slice(1, 2), 3];
    for (let i = 1; i < s.length; i++) if (s[i] === '}') return i === 1 ? ['', 2] : [s.slice(1, i), i + 1];
    return ['', 1];
  }
  if (isShellSpecial(s[0]!)) return [s.slice(0, 1), 1];
  let i = 0;
  while (i < s.length && isAlphaNum(s[i]!)) i++;
  return [s.slice(0, i), i];
}

/** Go's os.Expand. */
function goExpand(s: string, mapping: (name: string) => string): string {
  let out = '';
  let i = 0;
  for (let j = 0; j < s.length; j++) {
    if (s[j] === '$' && j + 1 < s.length) {
      out += s.slice(i, j);
      const [name, w] = shellName(s.slice(j + 1));
      if (name === '' && w > 0) {
        // invalid syntax: eaten
      } else if (name === '') out += '$';
      else out += mapping(name);
      j += w;
      i = j + 1;
    }
  }
  return out + s.slice(i);
}

/** Grafana's provisioning interpolation of one value. */
const grafanaValue = (value: string, env: Record<string, string>) =>
  value
    .split('$$')
    .map((part) => goExpand(part, (n) => env[n] ?? ''))
    .join('$');

/** The `environment:` map of one docker-compose service (simple `KEY: value` lines, as the file writes them). */
function composeEnvironment(service: string): Record<string, string> {
  const lines = readFileSync(join(INFRA, 'docker-compose.yml'), 'utf8').split('\n');
  const start = lines.findIndex((l) => l === `  ${service}:`);
  const envAt = lines.findIndex((l, i) => i > start && l.trim() === 'environment:');
  const env: Record<string, string> = {};
  for (const line of lines.slice(envAt + 1)) {
    const m = /^ {6}([A-Z_][A-Z0-9_]*): ?(.*)$/.exec(line);
    if (!m) {
      if (/^ {6}#/.test(line)) continue;
      break;
    }
    env[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1');
  }
  return env;
}

const provisioningFiles = ['datasources', 'dashboards'].flatMap((d) =>
  readdirSync(join(INFRA, 'grafana/provisioning', d)).map((f) => join(INFRA, 'grafana/provisioning', d, f)),
);
/** YAML values that hold a `$` (comments are not values). */
const valuesWithVariables = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#') && l.includes('$'))
    .map((l) => l.slice(l.indexOf(':') + 1).trim());

describe('Grafana provisioning, interpolated as Grafana does', () => {
  it('reads ${VAR:-default} as a variable named "VAR:-default": the form that left the data sources empty', () => {
    const names: string[] = [];
    goExpand('${CLICKHOUSE_HOST:-clickhouse}', (n) => (names.push(n), ''));
    expect(names).toEqual(['CLICKHOUSE_HOST:-clickhouse']);
  });

  it('names only plain variables, each set in the Grafana service of docker-compose, and none comes out empty but the password', () => {
    const env = composeEnvironment('grafana');
    for (const file of provisioningFiles) {
      for (const value of valuesWithVariables(file)) {
        const names: string[] = [];
        goExpand(value, (n) => (names.push(n), ''));
        for (const n of names) {
          expect(n, `${file}: ${value}`).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
          expect(env, `${n} must be set for Grafana in docker-compose.yml`).toHaveProperty(n);
        }
        if (!names.includes('CLICKHOUSE_PASSWORD')) expect(grafanaValue(value, env), `${file}: ${value}`).not.toBe('');
      }
    }
  });

  it('gives the data sources the compose hosts', () => {
    const env = composeEnvironment('grafana');
    const text = readFileSync(join(INFRA, 'grafana/provisioning/datasources/datasources.yaml'), 'utf8');
    const value = (key: string) => grafanaValue(new RegExp(`^\\s*${key}: (.*)$`, 'm').exec(text)![1]!, env);
    expect(value('host')).toBe('clickhouse');
    expect(value('port')).toBe('8123');
    expect(value('url')).toBe('http://prometheus:9090');
  });
});
