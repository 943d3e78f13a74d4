import { describe, expect, it } from 'vitest';
import { bodyFormat, splitBody } from './push.js';
import { parseEntryObject } from './sources/ndjson.js';

describe('push helpers', () => {
  it('knows JSON and NDJSON content types, with or without parameters', () => {
    expect(bodyFormat('application/json; charset=utf-8')).toBe('json');
    expect(bodyFormat('application/x-ndjson')).toBe('ndjson');
    expect(bodyFormat('text/plain')).toBeNull();
    expect(bodyFormat(undefined)).toBeNull();
  });

  it('splits bodies into items, keeping per-line errors in place', () => {
    expect(splitBody('[{"a":1}]', 'json')).toEqual({ ok: true, items: [{ value: { a: 1 }, raw: '{"a":1}' }] });
    expect(splitBody('{"a":1}', 'json')).toEqual({ ok: false, error: 'a JSON body must be an array of items' });
    const nd = splitBody('{"a":1}\n\nnope\n', 'ndjson');
    expect(nd.ok && nd.items.map((i) => ('error' in i ? 'error' : 'value'))).toEqual(['value', 'error']);
  });

  it('needs an id or url for pushed items (no line number to fall back on)', () => {
    expect(parseEntryObject({ title: 'x' }, { defaultSource: 'push', sourceKind: 'push' })).toEqual({
      ok: false,
      reason: 'needs an "id" or a "url" field',
    });
    const r = parseEntryObject({ id: '7', text: 'y', source: 'crm' }, { defaultSource: 'push', sourceKind: 'push' });
    expect(r.ok && r.entry).toMatchObject({ source: 'crm', sourceKind: 'push', sourceId: '7', summary: 'y' });
  });
});
