/**
 * Reads analyst input files record by record with line numbers: NDJSON (one JSON object per
 * line) or CSV with a header row (every record must have the header's number of fields). A bad record is yielded as an error with its line number so the
 * caller can report and skip it; only an unreadable file throws.
 */
import { createReadStream } from 'node:fs';
import { access, constants, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import { FinsentError } from '@finsent/shared';

export type InputRecord =
  { line: number; ok: true; fields: Record<string, unknown> } | { line: number; ok: false; reason: string };

export async function checkReadable(path: string): Promise<number> {
  try {
    await access(path, constants.R_OK);
    const s = await stat(path);
    if (!s.isFile()) throw new Error('not a regular file');
    return s.size;
  } catch (err) {
    throw new FinsentError('FINSENT_ERR_INPUT', `cannot read ${path}: ${(err as Error).message}`);
  }
}

export function detectFormat(path: string, explicit?: string): 'csv' | 'ndjson' {
  if (explicit === 'csv' || explicit === 'ndjson') return explicit;
  return /\.csv$/i.test(path) ? 'csv' : 'ndjson';
}

export async function* readRecords(
  path: string,
  format: 'csv' | 'ndjson',
  onBytes: (n: number) => void,
): AsyncGenerator<InputRecord> {
  const stream = createReadStream(path);
  stream.on('data', (chunk) => onBytes(chunk.length));
  if (format === 'ndjson') {
    let line = 0;
    for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
      line++;
      if (text.trim() === '') continue;
      try {
        const value: unknown = JSON.parse(text);
        if (typeof value !== 'object' || value === null || Array.isArray(value))
          yield { line, ok: false, reason: 'not a JSON object' };
        else yield { line, ok: true, fields: value as Record<string, unknown> };
      } catch (err) {
        yield { line, ok: false, reason: `invalid JSON: ${(err as Error).message}` };
      }
    }
    return;
  }
  // A record with a stray comma (more fields than the header) or too few is reported and skipped, never
  // shortened or padded silently; an unclosed quote swallows the rest of the file, which is then reported too.
  const skipped: InputRecord[] = [];
  const parser = stream.pipe(
    parse({
      columns: true,
      bom: true,
      skip_empty_lines: true,
      relax_quotes: true,
      info: true,
      skip_records_with_error: true,
      on_skip: (err) =>
        void skipped.push({
          line: Number(err?.lines ?? 0),
          ok: false,
          reason: `bad CSV record: ${err?.message ?? 'unreadable'}`,
        }),
    }),
  );
  try {
    for await (const rec of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      // The parser reads ahead: report a skipped record only once the records before it are out, in line order.
      while (skipped.length > 0 && skipped[0]!.line < rec.info.lines) yield skipped.shift()!;
      yield { line: rec.info.lines, ok: true, fields: rec.record };
    }
  } catch (err) {
    yield* skipped.splice(0);
    const line = (err as { lines?: number }).lines ?? 0;
    yield { line, ok: false, reason: `bad CSV from here to the end of the file: ${(err as Error).message}` };
    return;
  }
  yield* skipped.splice(0);
}
