/** finsent chaos: fault injection through the real pipeline (see cli/chaos/scenario.ts). */
import { runChaos } from '../chaos/scenario.js';
import { parseCommand } from '../args.js';

const HELP = `Usage: finsent chaos [--duration S] [--rate N] [--clickhouse-down S] [--broker-down S] [--keep]

Drives a steady load through the real pipeline (its own Kafka broker; classify, store with embedded
ClickHouse and alert as separate processes; a local webhook receiver) while it kills the broker,
SIGKILLs classify mid-stream, takes the store/ClickHouse down, makes the webhook answer 500 then 429,
and injects poison (invalid JSON, wrong schema, a 10 MB text, invalid UTF-8, a lone surrogate, ten 200 KB
messages in one batch) and five negative items dated 2099 on the raw topic.
Then audits ClickHouse, the dead-letter topic and the webhook receiver. Last line:
{"sent","stored","lost","duplicated","dead_letters","alerts_expected","alerts_delivered",…}
Exit status 1 when anything was lost, duplicated or not dead-lettered, the burst fired no alert, or an alert
was not delivered once.
  --duration S        load duration (default 150)
  --rate N            items per second offered (default 40)
  --clickhouse-down S how long ClickHouse stays unreachable (default 60)
  --broker-down S     how long the broker stays down (default 5)
  --keep              keep the run's folder (logs, data) even on success
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand('chaos', HELP, {
    args: argv,
    options: {
      duration: { type: 'string', default: '150' },
      rate: { type: 'string', default: '40' },
      'clickhouse-down': { type: 'string', default: '60' },
      'broker-down': { type: 'string', default: '5' },
      keep: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const report = await runChaos({
    durationS: Number(values.duration),
    rate: Number(values.rate),
    clickhouseDownS: Number(values['clickhouse-down']),
    brokerDownS: Number(values['broker-down']),
    keep: values.keep ?? false,
    log: (m) => process.stderr.write(`[chaos] ${m}\n`),
  });
  if (report.workdir) process.stderr.write(`[chaos] logs and data: ${report.workdir}\n`);
  process.stdout.write(`${JSON.stringify(report)}\n`);
  const ok =
    report.lost === 0 &&
    report.duplicated === 0 &&
    report.dead_letters === report.dead_letters_expected &&
    report.burst_alerted &&
    report.alerts_delivered === report.alerts_expected;
  return ok ? 0 : 1;
}
