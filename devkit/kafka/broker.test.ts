/**
 * Integration test: a real single-node Kafka (KRaft) broker from devkit/kafka/broker.ts + kafkajs.
 * Needs java + the jars (fetched by Maven on first run, ~10 s; cached in .cache/kafka).
 *
 *   npx vitest run devkit/kafka/broker.test.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Kafka,
  Partitioners,
  logLevel,
  type Consumer,
  type EachMessagePayload,
  type LogEntry,
  type logCreator,
} from 'kafkajs';
import { createTopics, startKafkaBroker, type KafkaBroker } from './broker.js';

const TOPIC = 'test.broker.events';
const GROUP = 'test-broker-group';
const N = 100;

let broker: KafkaBroker | undefined;
let dataDir = '';

/**
 * kafkajs logs a lot at INFO (and WARN on every reconnect); ERROR keeps test output readable.
 * It also logs every error *response* at ERROR from the connection layer before retrying it, e.g.
 * "The coordinator is loading" while __consumer_offsets / __transaction_state are created on first
 * use. Those are retried (a real failure still surfaces as a thrown error), so drop them.
 */
const quietLogCreator: logCreator = () => (entry: LogEntry) => {
  if (entry.namespace === 'Connection' && entry.log.message.startsWith('Response ')) return;
  const { message, ...extra } = entry.log;
  console.error(`[kafkajs ${entry.namespace}] ${message}`, JSON.stringify(extra));
};

function client(brokers: string): Kafka {
  return new Kafka({
    clientId: 'broker-test',
    brokers: [brokers],
    logLevel: logLevel.ERROR,
    logCreator: quietLogCreator,
  });
}

async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function committedTotal(kafka: Kafka): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const res = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    return res.flatMap((t) => t.partitions).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

async function consume(
  kafka: Kafka,
  into: Array<{ key: string; value: string; partition: number }>,
): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId: GROUP });
  await consumer.connect();
  // fromBeginning only applies when the group has no committed offset: after a restart a consumer
  // that gets old messages means the committed offsets were lost.
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message, partition }: EachMessagePayload) => {
      into.push({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '', partition });
    },
  });
  return consumer;
}

describe('local Kafka broker (KRaft) + kafkajs', () => {
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'finsent-kafka-test-'));
    broker = await startKafkaBroker({ dataDir, heapMb: 384 });
    await createTopics(broker.brokers, [{ topic: TOPIC, partitions: 3 }]);
    // Idempotent: a second call with an existing topic is a no-op.
    await createTopics(broker.brokers, [{ topic: TOPIC, partitions: 3 }]);
  }, 180_000);

  afterAll(async () => {
    await broker?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('delivers 100 keyed messages exactly once and keeps committed offsets across kill + restart', async () => {
    const b = broker!;
    let kafka = client(b.brokers);

    // --- produce 100 keyed messages with an idempotent producer --------------------------------
    // kafkajs 2.x warns on every producer creation that its default partitioner changed in v2.0.0;
    // choosing it explicitly silences that (KAFKAJS_NO_PARTITIONER_WARNING=1 would too).
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const messages = Array.from({ length: N }, (_, i) => ({ key: `key-${i}`, value: `value-${i}` }));
    for (let i = 0; i < N; i += 25) {
      await producer.send({ topic: TOPIC, messages: messages.slice(i, i + 25) });
    }
    await producer.disconnect();

    // --- consume them with a consumer group ----------------------------------------------------
    const received: Array<{ key: string; value: string; partition: number }> = [];
    const consumer = await consume(kafka, received);
    await waitFor(() => received.length >= N, 60_000, `${N} messages (got ${received.length})`);
    // Commits happen after each batch; wait until all 100 are committed, then check for duplicates.
    await waitFor(async () => (await committedTotal(kafka)) === N, 30_000, 'committed offsets = 100');
    await new Promise((r) => setTimeout(r, 500));
    await consumer.disconnect();

    expect(received).toHaveLength(N);
    expect(new Set(received.map((m) => m.key)).size).toBe(N);
    for (const m of received) expect(m.value).toBe(m.key.replace('key-', 'value-'));
    expect(new Set(received.map((m) => m.partition)).size).toBe(3); // keys spread over all 3 partitions

    // --- crash the broker and start it again on the same ports / data dir ---------------------
    const oldPid = b.pid;
    await b.kill();
    await b.restart();
    expect(b.pid).not.toBe(oldPid);
    kafka = client(b.brokers);
    expect(await committedTotal(kafka)).toBe(N);

    // --- a new consumer in the same group gets nothing old, but a new message ----------------
    const after: Array<{ key: string; value: string; partition: number }> = [];
    const consumer2 = await consume(kafka, after);
    const producer2 = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer2.connect();
    await producer2.send({ topic: TOPIC, messages: [{ key: 'key-after-restart', value: 'fresh' }] });
    await producer2.disconnect();
    await waitFor(() => after.length >= 1, 60_000, 'the post-restart message');
    await new Promise((r) => setTimeout(r, 1_000)); // anything old would show up by now
    await consumer2.disconnect();

    expect(after).toEqual([expect.objectContaining({ key: 'key-after-restart', value: 'fresh' })]);
  }, 120_000);
});
