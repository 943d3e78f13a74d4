/** finsent export-training: analysts' corrections as training data, in the format training/ reads. */
import { writeFileSync } from 'node:fs';
import { parseSince, withReadClient } from '../read-path.js';
import { parseCommand } from '../args.js';

const HELP = `Usage: finsent export-training --out FILE [--since DURATION]

Writes the items analysts corrected (finsent correct) in the last DURATION (by correction time; default: all) as
NDJSON in the training format of training/data/news-entities (one line per item: id, text, sentiment, topic and the
corrected entities with their offsets; a label nobody corrected is null). Each label is the newest correction of it.
Train with them beside the shipped data: python -m finsent_train.train … --corrections FILE (held-out sets are never
touched; the model card counts the corrections a model was trained on). Items whose text has expired
(TEXT_TTL_DAYS) are left out and counted.
`;

const usage = (msg: string) => (process.stderr.write(`finsent export-training: ${msg}\n\n${HELP}`), 2);

interface Row {
  item_id: string;
  field: 'sentiment' | 'topic' | 'entity_sentiment';
  entity: string;
  label: string;
  corrected_by: string;
  model_version: string | null;
  text: string;
  names: string[];
  starts: number[];
  ends: number[];
}

export interface TrainingLine {
  id: string;
  text: string;
  sentiment: string | null;
  topic: string | null;
  entities: Array<{ name: string; sentiment: string; start: number; end: number }>;
  source: 'correction';
  model_version: string | null;
  corrected_by: string[];
}

/** One training line per corrected item, from the latest correction of each of its labels (pure). */
export function trainingLines(rows: readonly Row[]): { lines: TrainingLine[]; expired: number } {
  const byItem = new Map<string, Row[]>();
  for (const r of rows) (byItem.get(r.item_id) ?? byItem.set(r.item_id, []).get(r.item_id)!).push(r);
  const lines: TrainingLine[] = [];
  let expired = 0;
  for (const [id, rs] of byItem) {
    const first = rs[0]!;
    if (first.text.trim() === '') {
      expired++;
      continue;
    }
    const label = (f: Row['field']) => rs.find((r) => r.field === f)?.label ?? null;
    const entities = rs
      .filter((r) => r.field === 'entity_sentiment')
      .flatMap((r) => {
        const i = first.names.indexOf(r.entity);
        return i < 0 ? [] : [{ name: r.entity, sentiment: r.label, start: first.starts[i]!, end: first.ends[i]! }];
      });
    lines.push({
      id: `correction-${id}`,
      text: first.text,
      sentiment: label('sentiment'),
      topic: label('topic'),
      entities,
      source: 'correction',
      model_version: first.model_version,
      corrected_by: [...new Set(rs.map((r) => r.corrected_by))],
    });
  }
  return { lines, expired };
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand('export-training', HELP, {
    args: argv,
    options: { out: { type: 'string' }, since: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (!values.out) return usage('--out FILE is required');
  const since = values.since === undefined ? undefined : parseSince(values.since);
  if (values.since !== undefined && since === undefined)
    return usage(`--since ${values.since}: expected a duration such as 7d, 4w`);
  return withReadClient('export-training', async (client) => {
    const rows = await (
      await client.query({
        query: `SELECT c.item_id AS item_id, c.field AS field, c.entity AS entity, c.label AS label, c.corrected_by AS corrected_by,
                c.model_version AS model_version, i.text AS text, arrayMap(e -> e.name, i.entities) AS names,
                arrayMap(e -> e.start, i.entities) AS starts, arrayMap(e -> e.end, i.entities) AS ends
              FROM v_corrections_latest AS c INNER JOIN v_items AS i ON i.id = c.item_id
              WHERE {all:Bool} OR c.corrected_at >= now() - INTERVAL {since:UInt32} SECOND
              ORDER BY c.item_id, c.field`,
        query_params: { all: since === undefined, since: since ?? 0 },
        format: 'JSONEachRow',
      })
    ).json<Row>();
    const { lines, expired } = trainingLines(rows);
    writeFileSync(values.out!, lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length ? '\n' : ''));
    process.stderr.write(
      `${lines.length} corrected items written to ${values.out}${expired ? `; ${expired} left out (their text has expired)` : ''}\n`,
    );
    return 0;
  });
}
