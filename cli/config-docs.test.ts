import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SERVICE_SCHEMAS, generatedDocs, options, withTable } from './config-docs.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

describe('configuration docs', () => {
  it('match the config schemas (run finsent config-docs after changing a schema)', () => {
    for (const [path, content] of Object.entries(generatedDocs()))
      expect(readFileSync(join(ROOT, path), 'utf8'), path).toBe(content);
  });

  it('describe every variable, with its default and what it accepts', () => {
    const all = options();
    expect(all.filter((o) => !o.description).map((o) => o.name)).toEqual([]);
    const count = new Set(Object.values(SERVICE_SCHEMAS).flatMap((s) => Object.keys(s.shape))).size;
    expect(all).toHaveLength(count);
    expect(all.find((o) => o.name === 'ALERT_MIN_LIFT')).toEqual(
      expect.objectContaining({ default: '`0.15`', accepts: '0 – 1', services: ['alert'] }),
    );
    expect(all.find((o) => o.name === 'KAFKA_BROKERS')?.services).toHaveLength(Object.keys(SERVICE_SCHEMAS).length);
  });

  it('refuses a document without its markers rather than guessing where the table goes', () => {
    expect(() => withTable('# no markers here\n', 'alert', '| x |')).toThrow(/markers/);
  });
});
