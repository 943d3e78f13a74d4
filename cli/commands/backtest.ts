/**
 * finsent backtest [--in FILE] [--weeks N] [--seed S] [--write FILE] [--oracle]: runs a labelled stream
 * through the spike detector (default configuration, ALERT_* overrides applied) in simulated time
 * and scores it; with --oracle, the reference detector told the generator's true baselines instead.
 * The last line is one JSON object, for scripts.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { errorMessage } from '@finsent/shared';
import {
  detectorConfig,
  formatStream,
  generateStream,
  loadAlertConfig,
  parseBacktestLine,
  runBacktest,
  type BacktestItem,
  type SpikeLabel,
} from '@finsent/alert';
import { parseCommand } from '../args.js';

const HELP = `Usage: finsent backtest [--in FILE] [--weeks N] [--seed S] [--write FILE] [--oracle]

Runs timestamped items through the negative-spike detector in simulated time and prints a table
of labelled spikes (delay from onset to alert), then a JSON summary as the last line:
{"detector":"live", "spikes":…, "detected":…, "median_delay_s":…, "false_alarms_per_topic_week":…,
 "by_sigma":…, "by_scope":…} ("detected": alerted within 120 s of onset; false alarms are per
key-week, keys = market, topics and tickers). Tickers are judged on their own entity sentiment.
  --in FILE     NDJSON: items {published_at, sentiment, topic, tickers?, entities?: [{ticker, sentiment}],
                novelty?, id?, title?, url?} and labels {label: "spike"|"reprint",
                scope: "market"|"topic"|"ticker", key, sigma, onset, end, partner?, topic?}
  --weeks N     without --in: simulated weeks to generate (default 4)
  --seed S      without --in: generator seed (default 1)
  --write FILE  without --in: also write the generated stream to FILE (the --in format)
  --oracle      score the reference detector instead ("detector":"oracle"): a CUSUM told the
                generator's TRUE baseline of every key (rate and negative share), its threshold the
                lowest within the same false-alarm budget (0.5 per key-week, 1 on the worst key);
                what the best detector could do. Needs a generated stream (not with --in)
Detector settings: the alert service's ALERT_* variables (see docs/alerts.md).
`;

async function readStream(file: string) {
  const items: BacktestItem[] = [];
  const labels: SpikeLabel[] = [];
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    const p = parseBacktestLine(line, ++n);
    if (p === null) continue;
    if ('error' in p) process.stderr.write(`${file}: ${p.error}; skipped\n`);
    else if ('item' in p) items.push(p.item);
    else labels.push(p.label);
  }
  if (items.length === 0) throw new Error(`${file}: no items`);
  items.sort((a, b) => a.publishedAtMs - b.publishedAtMs);
  // Whole seconds, so the simulated clock ticks on the same grid as for a generated stream.
  return {
    items,
    labels,
    startMs: Math.floor(items[0]!.publishedAtMs / 1000) * 1000,
    endMs: items[items.length - 1]!.publishedAtMs,
  };
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand('backtest', HELP, {
    args: argv,
    options: {
      in: { type: 'string' },
      weeks: { type: 'string' },
      seed: { type: 'string' },
      write: { type: 'string' },
      oracle: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const weeks = Number(values.weeks ?? 4);
  const seed = Number(values.seed ?? 1);
  if (!(weeks > 0) || !Number.isInteger(seed))
    return (process.stderr.write(`finsent backtest: --weeks must be > 0 and --seed an integer\n`), 2);
  // A file carries no true baseline: there is nothing to tell the oracle.
  if (values.oracle && values.in)
    return (
      process.stderr.write(
        `finsent backtest: --oracle needs a generated stream (the generator's true baselines); a file given with --in has none\n`,
      ),
      2
    );
  const config = detectorConfig(loadAlertConfig());
  let stream;
  try {
    if (values.in) {
      stream = await readStream(values.in);
    } else {
      stream = generateStream({ weeks, seed });
      if (values.write) {
        const out = createWriteStream(values.write);
        for (const line of formatStream(stream))
          if (!out.write(`${line}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
        await new Promise<void>((r) => out.end(() => r()));
      }
    }
  } catch (err) {
    process.stderr.write(`finsent backtest: ${errorMessage(err)}\n`);
    return 1;
  }
  const report = runBacktest(stream, { config, detector: values.oracle ? 'oracle' : 'live' });
  const rows = report.spikes.map((s) => [
    s.label.scope === 'market' ? 'market' : `${s.label.scope} ${s.label.key}`,
    `${s.label.sigma}σ`,
    new Date(s.label.onsetMs).toISOString().slice(0, 19),
    s.delayS === null ? 'missed' : `${s.delayS}s`,
  ]);
  const head = ['key', 'size', 'onset (UTC)', 'delay'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`${[fmt(head), ...rows.map(fmt)].join('\n')}\n\n`);
  process.stdout.write(
    `${report.alerts.length} alerts, ${report.falseAlarms.length} false alarms, ${report.reprintAlerts.length} from reprint bursts over ${report.summary.weeks} weeks and ${report.summary.keys} keys\n`,
  );
  process.stdout.write(`${JSON.stringify(report.summary)}\n`);
  return 0;
}
