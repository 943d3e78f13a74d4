/** finsent compare-models: how a candidate scored in shadow compares with the live model, and with analysts. */
import { SENTIMENTS, type ClickHouseClient } from '@finsent/shared';
import { parseSince, withReadClient } from '../read-path.js';
import { parseCommand } from '../args.js';

const HELP = `Usage: finsent compare-models [--candidate VERSION] [--since DURATION] [--json]

Compares a candidate model scored in shadow (classify's SHADOW_MODEL_DIR; docs/operations.md) with the live model on
the items both scored, published in the last DURATION (default 7d): how often they agree on the sentiment and the
topic, how the share of each label shifts, and, on items analysts corrected (finsent correct), which model was right
more often. --candidate picks a version when several were tried (default: the one with the most items).
  --json   the figures as one JSON object
`;

const usage = (msg: string) => (process.stderr.write(`finsent compare-models: ${msg}\n\n${HELP}`), 2);

/** One cell of a live × candidate confusion matrix, with the corrected label's agreement where there is one. */
interface Cell {
  live: string;
  candidate: string;
  n: number;
  corrected: number;
  live_right: number;
  candidate_right: number;
}

export interface Comparison {
  candidate: string;
  live: string[];
  items: number;
  since_s: number;
  sentiment: FieldComparison;
  topic: FieldComparison;
  verdict: string;
}

interface FieldComparison {
  agreement: number;
  /** Share of items per label under each model, largest shift first. */
  shifts: Array<{ label: string; live: number; candidate: number; shift: number }>;
  corrected: number;
  live_right: number;
  candidate_right: number;
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

/** Agreement, label shifts and who was right on corrected items, from a confusion matrix (pure). */
export function compareField(cells: readonly Cell[], labels?: readonly string[]): FieldComparison {
  const n = cells.reduce((a, c) => a + c.n, 0);
  const share = (pick: (c: Cell) => string, label: string) =>
    cells.filter((c) => pick(c) === label).reduce((a, c) => a + c.n, 0) / Math.max(n, 1);
  const all = labels ?? [...new Set(cells.flatMap((c) => [c.live, c.candidate]))];
  const shifts = all
    .map((label) => {
      const live = share((c) => c.live, label);
      const candidate = share((c) => c.candidate, label);
      return { label, live: round(live), candidate: round(candidate), shift: round(candidate - live) };
    })
    .sort((a, b) => Math.abs(b.shift) - Math.abs(a.shift) || a.label.localeCompare(b.label));
  const sum = (k: 'corrected' | 'live_right' | 'candidate_right') => cells.reduce((a, c) => a + c[k], 0);
  return {
    agreement: round(cells.filter((c) => c.live === c.candidate).reduce((a, c) => a + c.n, 0) / Math.max(n, 1)),
    shifts,
    corrected: sum('corrected'),
    live_right: sum('live_right'),
    candidate_right: sum('candidate_right'),
  };
}

export function verdict(s: FieldComparison, t: FieldComparison): string {
  const corrected = s.corrected + t.corrected;
  if (corrected === 0) return 'no corrected item among them: agreement and shifts only (finsent correct adds evidence)';
  const live = s.live_right + t.live_right;
  const candidate = s.candidate_right + t.candidate_right;
  const who =
    candidate > live
      ? 'the candidate is right more often'
      : candidate < live
        ? 'the live model is right more often'
        : 'both are right as often';
  return `on ${corrected} corrected labels ${who} (live ${live}, candidate ${candidate})`;
}

async function confusion(
  client: ClickHouseClient,
  field: 'sentiment' | 'topic',
  candidate: string,
  since: number,
): Promise<Cell[]> {
  return (
    await client.query({
      query: `SELECT i.${field} AS live, s.${field} AS candidate, toUInt32(count()) AS n, toUInt32(countIf(c.label != '')) AS corrected,
              toUInt32(countIf(c.label != '' AND c.label = i.${field})) AS live_right, toUInt32(countIf(c.label != '' AND c.label = s.${field})) AS candidate_right
            FROM v_shadow_labels AS s
            INNER JOIN v_items AS i ON i.id = s.item_id
            LEFT JOIN (SELECT item_id, label FROM v_corrections_latest WHERE field = {field:String}) AS c ON c.item_id = s.item_id
            WHERE s.model_version = {candidate:String} AND s.published_at >= now() - INTERVAL {since:UInt32} SECOND
            GROUP BY live, candidate`,
      query_params: { field, candidate, since },
      format: 'JSONEachRow',
    })
  ).json<Cell>();
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand('compare-models', HELP, {
    args: argv,
    options: {
      candidate: { type: 'string' },
      since: { type: 'string', default: '7d' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const since = parseSince(values.since!);
  if (since === undefined) return usage(`--since ${values.since}: expected a duration such as 1d, 7d`);
  return withReadClient('compare-models', async (client) => {
    const versions = await (
      await client.query({
        query: `SELECT model_version, groupUniqArray(live_model_version) AS live, toUInt32(count()) AS n FROM v_shadow_labels
              WHERE published_at >= now() - INTERVAL {since:UInt32} SECOND GROUP BY model_version ORDER BY n DESC`,
        query_params: { since },
        format: 'JSONEachRow',
      })
    ).json<{ model_version: string; live: string[]; n: number }>();
    const chosen = values.candidate ? versions.find((v) => v.model_version === values.candidate) : versions[0];
    if (!chosen) {
      const tried = versions.map((v) => v.model_version).join(', ');
      process.stderr.write(
        `finsent compare-models: no shadow labels${values.candidate ? ` of ${values.candidate}` : ''} in the last ${values.since}${tried ? ` (candidates: ${tried})` : ' (set SHADOW_MODEL_DIR on classify)'}\n`,
      );
      return 1;
    }
    const sentiment = compareField(await confusion(client, 'sentiment', chosen.model_version, since), SENTIMENTS);
    const topic = compareField(await confusion(client, 'topic', chosen.model_version, since));
    const result: Comparison = {
      candidate: chosen.model_version,
      live: chosen.live,
      items: sentiment.shifts.length ? chosen.n : 0,
      since_s: since,
      sentiment,
      topic,
      verdict: verdict(sentiment, topic),
    };
    if (values.json) return (process.stdout.write(`${JSON.stringify(result)}\n`), 0);
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    const signed = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}`;
    const lines = [
      `candidate ${result.candidate} vs live ${result.live.join(', ')} on ${chosen.n} items scored by both (last ${values.since})`,
      `agreement: sentiment ${pct(sentiment.agreement)}, topic ${pct(topic.agreement)}`,
      'sentiment shares (live → candidate): ' +
        sentiment.shifts.map((s) => `${s.label} ${pct(s.live)} → ${pct(s.candidate)} (${signed(s.shift)})`).join(', '),
      'largest topic shifts: ' +
        topic.shifts
          .slice(0, 5)
          .map((s) => `${s.label} ${signed(s.shift)}`)
          .join(', '),
      result.verdict,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  });
}
