import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRecords, type InputRecord } from './input-records.js';
import { tempDirFor } from './temp.js';

const dir = tempDirFor('input-records');
afterAll(() => dir.remove());

async function csv(content: string): Promise<InputRecord[]> {
  const path = join(dir.path, `in-${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(path, content);
  const out: InputRecord[] = [];
  for await (const r of readRecords(path, 'csv', () => undefined)) out.push(r);
  return out;
}

describe('CSV input', () => {
  it('reports a record with an unquoted comma by its line and skips it instead of dropping part of a field', async () => {
    const records = await csv('id,text\n1,Acme beats estimates\n2,Beta falls, misses estimates\n3,Gamma flat\n');
    expect(records.map((r) => (r.ok ? ['ok', r.line, r.fields.text] : ['bad', r.line]))).toEqual([
      ['ok', 2, 'Acme beats estimates'],
      ['bad', 3],
      ['ok', 4, 'Gamma flat'],
    ]);
    expect(records[1]!.ok ? '' : records[1]!.reason).toMatch(/bad CSV record/);
  });

  it('keeps the records before an unclosed quote and reports the rest of the file as one bad record', async () => {
    const records = await csv('id,text\n1,Acme beats\n2,"Beta falls\n3,Gamma flat\n');
    expect(records[0]).toMatchObject({ ok: true, line: 2, fields: { text: 'Acme beats' } });
    expect(records.at(-1)).toMatchObject({ ok: false });
    expect(records.filter((r) => r.ok)).toHaveLength(1);
  });

  it('reads quoted commas, quotes and new lines inside fields as they are', async () => {
    const records = await csv('id,text\n1,"Acme, Inc. says ""hello""\nagain"\n');
    expect(records).toEqual([{ ok: true, line: 3, fields: { id: '1', text: 'Acme, Inc. says "hello"\nagain' } }]);
  });
});
