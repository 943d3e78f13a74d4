/**
 * Configuration comes from environment variables only, validated once at start against one zod
 * schema per service. Every bad value is reported (not just the first), each with the variable's
 * name, so an operator fixes them all in one go.
 */
import { z } from 'zod';
import { FinsentError } from './errors.js';

export class ConfigError extends FinsentError {
  readonly problems: string[];
  constructor(service: string, problems: string[]) {
    super('FINSENT_ERR_CONFIG', `invalid ${service} configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;

/** Variables whose values are secrets (tokens, passwords, signing secrets, webhook URLs that embed a key): never echoed. */
export const SECRET_VARIABLE = /TOKEN|SECRET|PASSWORD|WEBHOOK_URL/;

export function loadConfig<S extends z.ZodObject>(service: string, schema: S, env: Env = process.env): z.infer<S> {
  const relevant: Env = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    // An empty variable means "not set": `FOO= cmd` should fall back to the default.
    if (value !== undefined && value !== '') relevant[key] = value;
  }
  const parsed = schema.safeParse(relevant);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '(config)');
    const got = relevant[name];
    if (got === undefined) return `${name}: ${issue.message}`;
    return `${name}: ${issue.message} (${SECRET_VARIABLE.test(name) ? `value hidden, ${got.length} characters` : `got ${JSON.stringify(got)}`})`;
  });
  throw new ConfigError(service, problems);
}

/** Reusable field builders so every service spells the same kind of setting the same way. */
export const env = {
  int: (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce.number({ error: 'must be an integer' }).int('must be an integer').min(min).max(max).default(def),
  num: (def: number, min = -Infinity, max = Infinity) =>
    z.coerce.number({ error: 'must be a number' }).min(min).max(max).default(def),
  port: (def: number) => z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535).default(def),
  bool: (def: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
      .transform((v) => v === 'true' || v === '1' || v === 'yes')
      .default(def),
  str: (def: string) => z.string().min(1).default(def),
  optionalUrl: () => z.string().url('must be a URL such as http://host:8123').optional(),
  brokers: (def: string) =>
    z
      .string()
      .default(def)
      .transform((s) =>
        s
          .split(',')
          .map((b) => b.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'each broker must be host:port')).min(1, 'at least one broker')),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

/** Settings every service shares: Kafka, logging, the metrics/health port. */
export const commonConfigShape = {
  KAFKA_BROKERS: env.brokers('127.0.0.1:9092').describe('comma-separated host:port of the Kafka brokers'),
  KAFKA_CLIENT_ID: z.string().optional().describe('Kafka client id; unset: finsent-<service>'),
  LOG_LEVEL: env.logLevel().describe('pino level of the JSON logs'),
  OPS_HOST: z
    .union([z.ipv4(), z.ipv6(), z.literal('localhost')], { error: 'must be an IP address or localhost' })
    .default('127.0.0.1')
    .describe(
      "address of /metrics, /healthz (and ingest's POST /ingest, the live view): 0.0.0.0 to be reached from other hosts",
    ),
};
