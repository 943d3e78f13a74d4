/**
 * One throwaway Kafka broker for the whole test run: free ports, a temp data dir, stopped (and
 * the dir removed) when the run ends. Tests get its address through inject('kafkaBrokers').
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureKafkaJars, startKafkaBroker } from '../devkit/kafka/broker.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
  }
}

export default async function setup(project: TestProject) {
  await ensureKafkaJars({ log: (m) => process.stderr.write(`[kafka] ${m}\n`) });
  const dataDir = mkdtempSync(join(tmpdir(), 'finsent-test-kafka-'));
  const broker = await startKafkaBroker({ dataDir, numPartitions: 3 });
  project.provide('kafkaBrokers', broker.brokers);
  return async () => {
    await broker.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
