/**
 * infra/docker-compose.yml cannot run here (no Docker engine), so it is checked statically: against the Compose
 * Specification's schema, that every file it names exists, and that its variables, ports and versions agree with
 * the code it deploys.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { createClickHouse } from '@finsent/shared';
import { ingestConfigSchema } from '@finsent/ingest';
import { classifyConfigSchema } from '@finsent/classify';
import { storeConfigSchema } from '@finsent/store';
import { alertConfigSchema } from '@finsent/alert';
import { liveConfigSchema } from '@finsent/live';
import { KAFKA_VERSION } from '../devkit/kafka/broker.js';
import { tempDirFor } from '../cli/temp.js';

const INFRA = fileURLToPath(new URL('./', import.meta.url));
const SPEC_DIR = fileURLToPath(new URL('../test/fixtures/compose-spec/', import.meta.url));

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
const compose = parse(readFileSync(join(INFRA, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;

const CONFIG_SCHEMAS: Record<string, z.ZodObject> = {
  ingest: ingestConfigSchema,
  classify: classifyConfigSchema,
  store: storeConfigSchema,
  alert: alertConfigSchema,
  live: liveConfigSchema,
};
const FINSENT = Object.keys(CONFIG_SCHEMAS);

/** Compose's interpolation of the forms the file uses: `${VAR:-default}` with VAR unset is the default. */
const interpolate = (v: string | number) => String(v).replace(/\$\{[A-Z_][A-Z0-9_]*:-([^}]*)\}/g, '$1');
const environment = (name: string) =>
  Object.fromEntries(Object.entries(services[name]!.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));
const tag = (image: string | undefined) => /:([^:]+)$/.exec(image ?? '')?.[1] ?? '';
/** The dockerfile of a built service, with the folder its paths are relative to. */
function buildOf(service: Service): { context: string; dockerfile: string } {
  const context = resolve(INFRA, service.build!.context);
  return { context, dockerfile: join(context, service.build!.dockerfile ?? 'Dockerfile') };
}

describe('infra/docker-compose.yml', () => {
  it('is valid against the Compose Specification, and the check refuses a broken file', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(JSON.parse(readFileSync(join(SPEC_DIR, 'compose-spec.json'), 'utf8')) as object);
    expect(validate(compose), ajv.errorsText(validate.errors)).toBe(true);
    expect(
      validate({
        services: {
          kafka: { image: 'x', ports: 'not-a-list', depends_on: { clickhouse: { condition: 'when_ready' } } },
        },
      }),
    ).toBe(false);
  });

  it('names only files that exist: build contexts, Dockerfiles, what they copy, and mounted folders', () => {
    const built = Object.entries(services).filter(([, s]) => s.build);
    expect(built.map(([n]) => n).sort()).toEqual([...FINSENT, 'grafana'].sort());
    for (const [name, service] of built) {
      const { context, dockerfile } = buildOf(service);
      expect(existsSync(dockerfile), `${name}: ${dockerfile}`).toBe(true);
      for (const line of readFileSync(dockerfile, 'utf8').split('\n')) {
        const copy = /^COPY\s+(?!--from)(.+)\s+\S+$/.exec(line.trim());
        for (const src of copy?.[1]!.split(/\s+/) ?? [])
          expect(existsSync(join(context, src)), `${name}: COPY ${src}`).toBe(true);
      }
      if (name !== 'grafana') expect(service.image, 'one image for every finsent role').toBe('finsent:local');
    }
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.')) expect(existsSync(resolve(INFRA, source)), `${name}: volume ${source}`).toBe(true);
      }
    }
  });

  it('gives each finsent service its role and only variables its config declares, valid there', () => {
    for (const name of FINSENT) {
      const service = services[name]!;
      expect(service.command).toEqual(['service', name]);
      const env = environment(name);
      const declared = Object.keys(CONFIG_SCHEMAS[name]!.shape);
      for (const key of Object.keys(env)) expect(declared, `${name}: ${key} is not one of its settings`).toContain(key);
      // Empty means unset (loadConfig's rule), as `${VAR:-}` gives when the user did not set VAR.
      const set = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
      const parsed = CONFIG_SCHEMAS[name]!.safeParse(set);
      expect(parsed.success, `${name}: ${parsed.error?.message}`).toBe(true);
      expect(env.OPS_HOST, `${name} must listen beyond loopback to be scraped and health-checked`).toBe('0.0.0.0');
      expect(service.depends_on?.kafka?.condition).toBe('service_healthy');
    }
    // The services that read ClickHouse start after the store, which applies the migrations.
    expect(services.live!.depends_on?.store?.condition).toBe('service_healthy');
  });

  it('reaches Kafka and ClickHouse where those containers listen', () => {
    const kafka = environment('kafka');
    const internal = /INTERNAL:\/\/([^,]+)/.exec(kafka.KAFKA_ADVERTISED_LISTENERS!)![1];
    const clickhousePort = services.clickhouse!.ports![0]!.split(':')[1];
    for (const name of FINSENT) {
      const env = environment(name);
      expect(env.KAFKA_BROKERS, name).toBe(internal);
      if (name === 'store' || name === 'live') {
        expect(new URL(env.CLICKHOUSE_URL!).host, name).toBe(`clickhouse:${clickhousePort}`);
        expect(services[name]!.depends_on?.clickhouse?.condition, name).toBe('service_healthy');
      }
    }
  });

  it('health-checks, publishes and scrapes the ports the services listen on', () => {
    const prometheus = parse(readFileSync(join(INFRA, 'prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{ job_name: string; dns_sd_configs?: Array<{ names: string[]; port: number }> }>;
    };
    for (const name of FINSENT) {
      const config = CONFIG_SCHEMAS[name]!.parse(
        Object.fromEntries(Object.entries(environment(name)).filter(([, v]) => v !== '')),
      ) as Record<string, unknown>;
      const port = config[`${name.toUpperCase()}_PORT`] as number;
      expect(services[name]!.healthcheck!.test.join(' ')).toContain(`http://127.0.0.1:${port}/healthz`);
      for (const published of services[name]!.ports ?? []) expect(published.split(':')[1]).toBe(String(port));
      const job = prometheus.scrape_configs.find((j) => j.job_name === `finsent-${name}`);
      expect(job?.dns_sd_configs?.[0], `Prometheus job finsent-${name}`).toEqual(
        expect.objectContaining({ names: [name], port }),
      );
    }
    // Slack's dashboard link names a dashboard that is provisioned.
    const uids = readdirSync(join(INFRA, 'grafana/dashboards')).map(
      (f) => (JSON.parse(readFileSync(join(INFRA, 'grafana/dashboards', f), 'utf8')) as { uid: string }).uid,
    );
    expect(uids).toContain(new URL(environment('alert').GRAFANA_URL!).pathname.split('/')[2]);
  });

  it('pins the versions the project is built and tested with', async () => {
    expect(tag(services.kafka!.image)).toBe(KAFKA_VERSION);
    // The server runs the SQL the embedded engine (chdb) runs in every test: the same ClickHouse release line.
    const dir = tempDirFor('compose-chdb');
    const { client } = await createClickHouse({ dataPath: dir.path });
    try {
      const [{ v }] = (await (
        await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })
      ).json<{ v: string }>()) as [{ v: string }];
      expect(tag(services.clickhouse!.image)).toBe(v.split('.').slice(0, 2).join('.'));
    } finally {
      await client.close();
      dir.remove();
    }
    expect(tag(services.prometheus!.image)).toMatch(/^v3\.\d+\.\d+$/);
    // Grafana from 12.3 reads the dashboards' schemaVersion 42, what the SDK writes; its ClickHouse plugin is in
    // the image, never downloaded at start (GF_INSTALL_PLUGINS).
    const grafana = readFileSync(buildOf(services.grafana!).dockerfile, 'utf8');
    const [major, minor] = /^FROM grafana\/grafana:(\d+)\.(\d+)\.\d+$/m.exec(grafana)!.slice(1).map(Number) as [
      number,
      number,
    ];
    expect(major * 100 + minor).toBeGreaterThanOrEqual(1203);
    for (const f of readdirSync(join(INFRA, 'grafana/dashboards')))
      expect(readFileSync(join(INFRA, 'grafana/dashboards', f), 'utf8')).toContain('"schemaVersion": 42');
    expect(grafana).toMatch(/plugins install grafana-clickhouse-datasource \d+\.\d+\.\d+/);
    expect(environment('grafana')).not.toHaveProperty('GF_INSTALL_PLUGINS');
  });
});
