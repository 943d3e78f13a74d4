import { createLogger, runUntilSignalled } from '@finsent/shared';
import { loadStoreConfig, startStore } from './index.js';

const logger = createLogger('store');
await runUntilSignalled(() => startStore(loadStoreConfig(), logger), logger);
