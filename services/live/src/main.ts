import { createLogger, runUntilSignalled } from '@finsent/shared';
import { loadLiveConfig, startLive } from './index.js';

const logger = createLogger('live');
await runUntilSignalled(() => startLive(loadLiveConfig(), logger), logger);
