import { createLogger, runUntilSignalled } from '@finsent/shared';
import { loadAlertConfig, startAlert } from './index.js';

const logger = createLogger('alert');
await runUntilSignalled(() => startAlert(loadAlertConfig(), logger), logger);
