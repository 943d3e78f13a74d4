import { createLogger, runUntilSignalled, type RunningService } from '@finsent/shared';

const SERVICES: Record<string, () => Promise<RunningService>> = {
  ingest: async () => {
    const m = await import('@finsent/ingest');
    return m.startIngest(m.loadIngestConfig(), createLogger('ingest'));
  },
  classify: async () => {
    const m = await import('@finsent/classify');
    return m.startClassify(m.loadClassifyConfig(), createLogger('classify'));
  },
  store: async () => {
    const m = await import('@finsent/store');
    return m.startStore(m.loadStoreConfig(), createLogger('store'));
  },
  alert: async () => {
    const m = await import('@finsent/alert');
    return m.startAlert(m.loadAlertConfig(), createLogger('alert'));
  },
  live: async () => {
    const m = await import('@finsent/live');
    return m.startLive(m.loadLiveConfig(), createLogger('live'));
  },
};

export async function run(argv: string[]): Promise<number> {
  const name = argv[0];
  const usage = `Usage: finsent service <${Object.keys(SERVICES).join('|')}>\n\nRuns one service until SIGTERM/SIGINT. Configuration comes from the environment (README "Configuration").\n`;
  if (name === '--help' || name === '-h') return (process.stdout.write(usage), 0);
  if (!name || !SERVICES[name] || argv.length > 1) {
    process.stderr.write(
      `finsent service: ${name ? (SERVICES[name] ? `unexpected argument ${argv[1]}` : `unknown service ${name}`) : 'which service?'}\n\n${usage}`,
    );
    return 2;
  }
  await runUntilSignalled(SERVICES[name]!, createLogger(name));
  return 0;
}
