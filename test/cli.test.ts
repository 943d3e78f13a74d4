/** The finsent command as a user runs it: a real process, real files, the shipped model. */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { TOPICS } from '@finsent/shared';
import { tempDir } from './support/env.js';

const run = promisify(execFile);
const BIN = new URL('../bin/finsent.mjs', import.meta.url).pathname;

async function finsent(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('finsent CLI', () => {
  const dir = tempDir('cli');
  afterAll(() => dir.remove());

  it('answers --help for itself and each command', async () => {
    const top = await finsent(['--help']);
    expect(top.code).toBe(0);
    for (const cmd of ['start', 'classify', 'replay', 'query', 'migrate', 'service']) expect(top.stdout).toContain(cmd);
    const sub = await finsent(['classify', '--help']);
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--in FILE --out FILE');
  });

  it('prints its version and treats a missing or unknown command as a usage error (exit 2, usage on stderr)', async () => {
    const version = await finsent(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^finsent \d+\.\d+\.\d+$/);
    for (const args of [[], ['frobnicate']]) {
      const r = await finsent(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Usage: finsent <command>');
    }
    // The same for a command's own arguments: an unknown service is named, with the list of services.
    const service = await finsent(['service', 'frontend']);
    expect(service.code).toBe(2);
    expect(service.stderr).toContain('unknown service frontend');
    expect(service.stderr).toContain('<ingest|classify|store|alert|live>');
  });

  it('reports a bad LOG_LEVEL like any bad value (exit 2, no stack trace) and never echoes a secret', async () => {
    const r = await finsent(['service', 'ingest'], { LOG_LEVEL: 'loud', INGEST_TOKEN: 'tok-short' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid ingest configuration');
    expect(r.stderr).toContain('LOG_LEVEL: ');
    expect(r.stderr).toContain('INGEST_TOKEN: ');
    expect(r.stderr).not.toContain('tok-short');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('refuses a bad alert routing file at start with every problem and exit 2, before touching Kafka', async () => {
    const routes = join(dir.path, 'routes.yaml');
    writeFileSync(
      routes,
      'receivers:\n  - name: desk\n    slack: { url_env: NOT_SET_ANYWHERE }\nroutes:\n  - match: { scope: sector }\n    receivers: [nobody]\n',
    );
    const r = await finsent(['service', 'alert'], { ALERT_ROUTES_FILE: routes, KAFKA_BROKERS: '127.0.0.1:1' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('invalid alert configuration');
    expect(r.stderr).toMatch(/routes\[0\]\.match\.scope/);
    writeFileSync(
      routes,
      'receivers:\n  - name: desk\n    slack: { url_env: NOT_SET_ANYWHERE }\nroutes:\n  - receivers: [desk, nobody]\n',
    );
    const r2 = await finsent(['service', 'alert'], { ALERT_ROUTES_FILE: routes, KAFKA_BROKERS: '127.0.0.1:1' });
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('receivers[0] (desk): NOT_SET_ANYWHERE is not set');
    expect(r2.stderr).toContain('routes[0].receivers[1]: unknown receiver "nobody"');
  });

  it('keeps finsent query read-only unless --write, in the engine: nothing a hostile statement tries changes anything', async () => {
    const env = { FINSENT_DATA_DIR: join(dir.path, 'query-data') };
    expect((await finsent(['migrate'], env)).code).toBe(0);
    for (const sql of [
      'DROP TABLE alerts',
      'SELECT 1; DROP TABLE alerts',
      "SELECT * FROM file('/etc/passwd', 'LineAsString')",
      "INSERT INTO FUNCTION file('stolen.txt', 'LineAsString') SELECT 'x'",
      "SELECT file('/etc/hostname')",
      `SELECT 'x' INTO OUTFILE '${join(dir.path, 'written.txt')}' FORMAT RawBLOB`,
    ]) {
      const r = await finsent(['query', sql], env);
      expect(r.code, sql).toBe(2);
      expect(r.stderr, sql).toContain('read-only');
    }
    const count = await finsent(['query', 'SELECT count() AS n FROM alerts', '--format', 'json'], env);
    expect(count.code).toBe(0);
    expect(Number(JSON.parse(count.stdout)[0].n)).toBe(0);
    const write = await finsent(['query', '--write', 'CREATE TABLE scratch (x UInt8) ENGINE = Memory'], env);
    expect(write.code).toBe(0);
  });

  it('scores each target of a record as an entity, in order, with the name as given', async () => {
    const input = join(dir.path, 'targets.ndjson');
    const output = join(dir.path, 'targets-out.ndjson');
    writeFileSync(
      input,
      [
        JSON.stringify({
          text: 'Acme beats profit estimates as Beta Corp shares plunge',
          targets: ['Beta Corp', 'acme', 'Gamma'],
        }),
        JSON.stringify({ text: 'JPMorgan raises its dividend' }),
        JSON.stringify({ text: 'Oil rises', targets: 'Acme' }),
      ].join('\n'),
    );
    const r = await finsent(['classify', '--in', input, '--out', output]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${input}:3: skipped: "targets" must be an array of non-empty strings`);
    const rows = readFileSync(output, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { entities: Array<Record<string, unknown>> });
    const label = expect.stringMatching(/^(negative|neutral|positive)$/);
    expect(rows[0]!.entities.map((e) => [e.name, e.start, e.end, e.sentiment])).toEqual([
      ['Beta Corp', 31, 40, label],
      ['acme', 0, 4, label],
      ['Gamma', null, null, label],
    ]);
    // A name the text lacks takes the whole text's label.
    const whole = rows[0] as unknown as { sentiment: string; sentiment_scores: unknown };
    expect(rows[0]!.entities[2]).toMatchObject({
      sentiment: whole.sentiment,
      sentiment_scores: whole.sentiment_scores,
    });
    // Without targets: the tagger's companies, with their tickers.
    expect(rows[1]!.entities.map((e) => [e.ticker, e.start, e.end])).toEqual([['JPM', 0, 8]]);
  });

  it('scores NDJSON, keeps input fields, and reports bad lines by number', async () => {
    const input = join(dir.path, 'in.ndjson');
    const output = join(dir.path, 'out.ndjson');
    writeFileSync(
      input,
      [
        JSON.stringify({ id: 1, text: 'Regional bank shares collapse as depositors flee' }),
        '{"id": 2, "text": ',
        JSON.stringify({ id: 3, text: 'Company raises full-year guidance after record quarter' }),
        JSON.stringify({ id: 4, headline: 'no text field here' }),
        '',
        JSON.stringify({ id: 5, text: 'Fed holds rates steady, signals patience' }),
      ].join('\n'),
    );
    const r = await finsent(['classify', '--in', input, '--out', output]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${input}:2: skipped: invalid JSON`);
    expect(r.stderr).toContain(`${input}:4: skipped: no "text" field`);
    const rows = readFileSync(output, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((x) => x.id)).toEqual([1, 3, 5]);
    for (const row of rows) {
      expect(['negative', 'neutral', 'positive']).toContain(row.sentiment);
      expect(TOPICS as readonly string[]).toContain(row.topic);
      expect(Object.keys(row.topic_scores)).toEqual([...TOPICS]);
      const sum = Object.values(row.sentiment_scores as Record<string, number>).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 2);
    }
    expect(rows[0].sentiment).toBe('negative');
    expect(rows[1].sentiment).toBe('positive');
  });

  it('scores CSV with a text column', async () => {
    const input = join(dir.path, 'in.csv');
    const output = join(dir.path, 'out-csv.ndjson');
    writeFileSync(
      input,
      'text,label\n"Oil prices slump as demand fears mount, OPEC output rises",0\nGold hits record high on safe-haven buying,1\n',
    );
    const r = await finsent(['classify', '--in', input, '--out', output]);
    expect(r.code).toBe(0);
    const rows = readFileSync(output, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(2);
    expect(rows[0].text).toContain('OPEC');
    expect(rows[0].label).toBe('0');
  });

  it('exits non-zero with a clear message on an unreadable file', async () => {
    const r = await finsent(['classify', '--in', join(dir.path, 'missing.csv'), '--out', join(dir.path, 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot read .*missing\.csv/);
  });

  it('refuses a bad environment with one message per bad variable', async () => {
    const r = await finsent(['classify', '--in', BIN, '--out', join(dir.path, 'y')], {
      ORT_PROVIDER: 'tpu',
      ORT_INTRA_OP_THREADS: 'many',
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ORT_PROVIDER');
    expect(r.stderr).toContain('ORT_INTRA_OP_THREADS');
  });

  it('evaluates a labelled file through classify: accuracy, macro-F1, confusion matrix', async () => {
    const input = join(dir.path, 'labelled.csv');
    writeFileSync(
      input,
      [
        'text,label',
        '"Shares crash 30% after the company slashes guidance and warns of losses",0',
        '"Company smashes estimates and raises its dividend; stock soars",1',
        '"Company to hold annual shareholder meeting on May 4",2',
        '"Bank shares tumble as regulators probe accounting practices",0',
        'no label here,',
      ].join('\n'),
    );
    const r = await finsent(['eval', '--in', input, '--task', 'sentiment']);
    expect(r.code).toBe(0);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(last).toMatchObject({ task: 'sentiment', n: 4 });
    expect(last.accuracy).toBeGreaterThanOrEqual(0.75);
    expect(r.stdout).toContain('true \\ predicted');
    expect(r.stderr).toContain('1 records without a usable "label"');
  });
});
