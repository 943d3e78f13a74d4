import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'shared/src/**/*.test.ts',
      'services/*/src/**/*.test.ts',
      'cli/**/*.test.ts',
      'devkit/**/*.test.ts',
      'infra/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Kafka and the model are heavy on a 2-core machine: one test file at a time.
    fileParallelism: false,
    env: { KAFKAJS_NO_PARTITIONER_WARNING: '1' },
  },
});
