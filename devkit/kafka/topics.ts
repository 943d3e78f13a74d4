/**
 * Topic creation for the standalone broker CLI (`cli.ts start --topic`) and the broker's own test, which
 * run without the pipeline's bus. The services create their topics through the bus's ensureTopics instead.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';

export interface TopicSpec {
  topic: string;
  partitions: number;
  retentionMs?: number;
  cleanupPolicy?: 'delete' | 'compact';
}

/**
 * Create topics (replication factor 1). Idempotent: topics that already exist are left alone
 * (their partition count/config is not changed). Waits until every partition has a leader.
 */
export async function createTopics(brokers: string, topics: TopicSpec[]): Promise<void> {
  if (topics.length === 0) return;
  const kafka = new Kafka({
    clientId: 'finsent-create-topics',
    brokers: brokers.split(',').map((b) => b.trim()),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      try {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((t) => {
            const configEntries: Array<{ name: string; value: string }> = [];
            if (t.retentionMs !== undefined) configEntries.push({ name: 'retention.ms', value: String(t.retentionMs) });
            if (t.cleanupPolicy) configEntries.push({ name: 'cleanup.policy', value: t.cleanupPolicy });
            return { topic: t.topic, numPartitions: t.partitions, replicationFactor: 1, configEntries };
          }),
        });
      } catch (err) {
        // A concurrent creator may have won the race; only rethrow if something is still missing.
        const now = new Set(await admin.listTopics());
        if (missing.some((t) => !now.has(t.topic))) throw err;
      }
    }
    // waitForLeaders covers only the topics created here; wait until every partition of every topic has a leader.
    const names = topics.map((t) => t.topic);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const md = await admin.fetchTopicMetadata({ topics: names });
        const ready = md.topics.every(
          (t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader !== undefined && p.leader >= 0),
        );
        if (ready) return;
      } catch {
        /* metadata not propagated yet */
      }
      if (Date.now() > deadline) throw new Error(`Timed out waiting for metadata of topics: ${names.join(', ')}`);
      await sleep(200);
    }
  } finally {
    await admin.disconnect();
  }
}
