import { createLogger, runUntilSignalled } from '@finsent/shared';
import { loadClassifyConfig, startClassify } from './index.js';

const logger = createLogger('classify');
await runUntilSignalled(() => startClassify(loadClassifyConfig(), logger), logger);
