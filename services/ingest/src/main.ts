import { createLogger, runUntilSignalled } from '@finsent/shared';
import { loadIngestConfig, startIngest } from './index.js';

const logger = createLogger('ingest');
await runUntilSignalled(() => startIngest(loadIngestConfig(), logger), logger);
