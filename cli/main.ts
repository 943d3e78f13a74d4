/**
 * `finsent <command>`: one entry point for operators and analysts. Each command lives in
 * cli/commands/<name>.ts and is loaded only when used, so `finsent --help` stays instant.
 */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  start: {
    summary: 'run the whole pipeline locally (Kafka, embedded ClickHouse, all services, sample replay)',
    load: () => import('./commands/start.js'),
  },
  classify: {
    summary: 'score an NDJSON or CSV file with the model (batch/backfill)',
    load: () => import('./commands/classify.js'),
  },
  eval: {
    summary: 'accuracy, macro-F1 and confusion matrix of the model on a labelled NDJSON/CSV file',
    load: () => import('./commands/eval.js'),
  },
  replay: { summary: 'publish an NDJSON file of items to the raw topic', load: () => import('./commands/replay.js') },
  feed: {
    summary: 'dry run: print one feed (URL or file) as normalised NDJSON items, publish nothing',
    load: () => import('./commands/feed.js'),
  },
  service: {
    summary: 'run one service in the foreground: ingest | classify | store | alert | live',
    load: () => import('./commands/service.js'),
  },
  migrate: {
    summary: 'apply ClickHouse migrations to the configured database',
    load: () => import('./commands/query.js').then((m) => ({ run: m.runMigrate })),
  },
  bench: {
    summary: 'benchmarks: classify (bare model vs the service) | e2e (the whole pipeline at a sustained rate)',
    load: () => import('./commands/bench.js'),
  },
  backtest: {
    summary: 'score the spike detector on a labelled stream (generated, or --in FILE) in simulated time',
    load: () => import('./commands/backtest.js'),
  },
  chaos: {
    summary: 'fault injection through the real pipeline, then an audit of loss, duplicates, dead letters, alerts',
    load: () => import('./commands/chaos.js'),
  },
  query: {
    summary: 'run SQL against the configured ClickHouse (--format table|csv|json)',
    load: () => import('./commands/query.js'),
  },
  alerts: {
    summary: 'the recent alerts with their top headlines (--since 1h)',
    load: () => import('./commands/alerts.js'),
  },
  ticker: {
    summary: "a ticker's own sentiment by hour and its latest headlines (--since 1d)",
    load: () => import('./commands/ticker.js'),
  },
  correct: {
    summary: "record that the model got an item's sentiment, topic or an entity's sentiment wrong, and the right label",
    load: () => import('./commands/correct.js'),
  },
  'export-training': {
    summary: "write analysts' corrections as training data (NDJSON, the training format)",
    load: () => import('./commands/export-training.js'),
  },
  'drift-reference': {
    summary: 'store beside a model the training distribution its live drift is measured against',
    load: () => import('./commands/drift-reference.js'),
  },
  'compare-models': {
    summary:
      'a candidate model scored in shadow against the live one: agreement, label shifts, who is right on corrections',
    load: () => import('./commands/compare-models.js'),
  },
  silence: {
    summary: 'mute alerts on a key or pattern until a time: add | list | remove (shared by every alert process)',
    load: () => import('./commands/silence.js'),
  },
  'config-docs': {
    summary: 'regenerate the configuration tables of the docs from the config schemas (--check)',
    load: () => import('./commands/config-docs.js'),
  },
  dashboards: {
    summary: 'regenerate the Grafana dashboards and provisioning under infra/grafana/ (--check)',
    load: () => import('./commands/dashboards.js'),
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'finsent: real-time financial sentiment pipeline',
    '',
    'Usage: finsent <command> [options]    (finsent <command> --help for its options; finsent --version)',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'Configuration is read from environment variables; see README.md "Configuration".',
  ].join('\n');
}

const [command, ...rest] = process.argv.slice(2);
if (command === '--help' || command === '-h' || command === 'help') {
  process.stdout.write(`${usage()}\n`);
  process.exit(0);
}
if (command === '--version' || command === '-V') {
  const { readFileSync } = await import('node:fs');
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  process.stdout.write(`finsent ${pkg.version}\n`);
  process.exit(0);
}
const entry = command === undefined ? undefined : COMMANDS[command];
if (!entry) {
  // A usage error: exit status 2, the usage on stderr.
  process.stderr.write(
    `${command === undefined ? 'finsent: no command given' : `finsent: unknown command ${JSON.stringify(command)}`}\n\n${usage()}\n`,
  );
  process.exit(2);
}
try {
  process.exitCode = await (await entry.load()).run(rest);
} catch (err) {
  // Expected failures (bad configuration, a missing model, …) carry a registered code (docs/errors.md): print
  // `message [CODE]`, not a stack, and exit 1; a configuration error prints its list of problems alone and exits 2.
  const { FinsentError, errorLine, isConfigError } = await import('@finsent/shared');
  if (err instanceof FinsentError) {
    process.stderr.write(`finsent ${command}: ${errorLine(err)}\n`);
    process.exitCode = isConfigError(err) ? 2 : 1;
  } else {
    throw err;
  }
}
