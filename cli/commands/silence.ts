/** finsent silence add|list|remove: mute alerts on a key or pattern until a time, shared by every alert process. */
import { hostname, userInfo } from 'node:os';
import { errorMessage } from '@finsent/shared';
import { loadAlertConfig, newSilence, readSilences, writeSilence, type Silence } from '@finsent/alert';
import { isFormat, parseSince, printRows } from '../read-path.js';
import { parseCommand } from '../args.js';
import { withBus } from '../kafka.js';

const HELP = `Usage: finsent silence add --key PATTERN [--scope market|topic|ticker] (--for DURATION | --until TIME) --reason TEXT [--by NAME]
       finsent silence list [--all] [--format table|csv|json]
       finsent silence remove ID [--by NAME]

Silences mute alerts whose key matches PATTERN (a glob: HRBL, Fed*, *) in SCOPE (default: any) until a time.
A silenced alert is not delivered and is still recorded in ClickHouse (delivery_state silenced, with the silence).
They live on the Kafka topic finsent.silences.v1 (KAFKA_BROKERS): they survive restarts and every alert process
applies them within a second.
  --for DURATION   how long from now: 30m, 2h, 1d, 1w
  --until TIME     an ISO time, e.g. 2026-12-06T08:00:00Z
  --reason TEXT    why (shown with every alert it mutes)
  --by NAME        who (default: user@host)
  --all            list expired and removed silences too
`;

const SCOPES = ['market', 'topic', 'ticker'] as const;
const usage = (msg: string) => (process.stderr.write(`finsent silence: ${msg}\n\n${HELP}`), 2);
const defaultBy = () => `${userInfo().username}@${hostname()}`;

function state(s: Silence, now: number): 'active' | 'expired' | 'removed' {
  return s.removed_at !== null ? 'removed' : Date.parse(s.ends_at) <= now ? 'expired' : 'active';
}

export async function run(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (!action || action === '--help' || action === '-h')
    return action ? (process.stdout.write(HELP), 0) : usage('add, list or remove?');
  const parsed = parseCommand('silence', HELP, {
    args: rest,
    allowPositionals: true,
    options: {
      key: { type: 'string' },
      scope: { type: 'string' },
      for: { type: 'string' },
      until: { type: 'string' },
      reason: { type: 'string' },
      by: { type: 'string' },
      all: { type: 'boolean' },
      format: { type: 'string', default: 'table' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values: v, positionals } = parsed;

  if (action === 'add') {
    if (positionals.length) return usage(`unexpected argument ${positionals[0]}`);
    if (!v.key) return usage('add needs --key PATTERN');
    if (!v.reason?.trim()) return usage('add needs --reason TEXT');
    if (v.scope !== undefined && !SCOPES.includes(v.scope as never))
      return usage(`--scope ${v.scope}: expected market, topic or ticker`);
    if ((v.for === undefined) === (v.until === undefined)) return usage('give one of --for DURATION and --until TIME');
    const seconds = v.for === undefined ? undefined : parseSince(v.for);
    if (v.for !== undefined && seconds === undefined)
      return usage(`--for ${v.for}: expected a duration such as 30m, 2h, 1d`);
    const endsAt = new Date(seconds !== undefined ? Date.now() + seconds * 1000 : Date.parse(v.until!));
    if (Number.isNaN(endsAt.getTime()))
      return usage(`--until ${v.until}: expected an ISO time such as 2026-12-06T08:00:00Z`);
    if (endsAt.getTime() <= Date.now()) return usage(`--until ${v.until}: that time has passed`);
    let silence: Silence;
    try {
      silence = newSilence({
        scope: (v.scope as Silence['scope']) ?? null,
        key: v.key,
        endsAt,
        reason: v.reason.trim(),
        by: v.by ?? defaultBy(),
      });
    } catch (err) {
      return usage(errorMessage(err));
    }
    return withBus('silence', loadAlertConfig(), async (bus) => {
      await writeSilence(bus, silence);
      process.stdout.write(
        `silence ${silence.id}: ${silence.scope ?? 'any scope'} ${silence.key} until ${silence.ends_at} (${silence.created_by}: ${silence.reason})\n`,
      );
      return 0;
    });
  }

  if (action === 'list') {
    if (positionals.length) return usage(`unexpected argument ${positionals[0]}`);
    const format = v.format;
    if (!isFormat(format)) return usage('--format must be table, csv or json');
    return withBus('silence', loadAlertConfig(), async (bus) => {
      const now = Date.now();
      const rows = (await readSilences(bus))
        .all()
        .filter((s) => v.all || state(s, now) === 'active')
        .map((s) => ({
          id: s.id,
          state: state(s, now),
          scope: s.scope ?? 'any',
          key: s.key,
          until: s.ends_at,
          by: s.created_by,
          reason: s.reason,
          removed_by: s.removed_by,
        }));
      if (rows.length === 0 && format === 'table')
        process.stdout.write(v.all ? 'no silence was ever set\n' : 'no active silence\n');
      else printRows(rows, format);
      return 0;
    });
  }

  if (action === 'remove') {
    if (positionals.length !== 1) return usage('remove needs one silence ID (finsent silence list shows them)');
    const id = positionals[0]!;
    return withBus('silence', loadAlertConfig(), async (bus) => {
      const found = (await readSilences(bus)).get(id);
      if (!found) return (process.stderr.write(`finsent silence: no silence ${id}\n`), 1);
      if (found.removed_at !== null)
        return (process.stdout.write(`silence ${id} was already removed by ${found.removed_by}\n`), 0);
      await writeSilence(bus, { ...found, removed_at: new Date().toISOString(), removed_by: v.by ?? defaultBy() });
      process.stdout.write(`silence ${id} removed\n`);
      return 0;
    });
  }
  return usage(`unknown action ${action}`);
}
