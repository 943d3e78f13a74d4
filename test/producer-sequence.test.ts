/**
 * kafkajs's idempotent producer is stuck for good once the broker rejects its sequence numbers
 * (OUT_OF_ORDER_SEQUENCE_NUMBER, seen in the chaos run after a broker SIGKILL; kafkajs issue #598).
 * Reproduced deterministically with a broker of its own: the last batch is cut from the partition's
 * log while the broker is down (a crash that lost its log tail), so on restart the broker's
 * sequence for the producer is one behind the producer's.
 */
import { existsSync, readFileSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKafkajsBus, type Bus, type BusProducer } from '@finsent/shared';
import { startKafkaBroker, type KafkaBroker } from '../devkit/kafka/broker.js';
import { tempDir, testLogger } from './support/env.js';

const TOPIC = 'sequence-test';
const dir = tempDir('producer-sequence');
let broker: KafkaBroker;
let bus: Bus;
let producer: BusProducer;

/** Cuts the last record batch off a log segment (batch header: base offset int64, length int32). */
function dropLastBatch(segment: string): void {
  const bytes = readFileSync(segment);
  const starts: number[] = [];
  for (let pos = 0; pos + 12 <= bytes.length; pos += 12 + bytes.readInt32BE(pos + 8)) starts.push(pos);
  truncateSync(segment, starts[starts.length - 1]!);
}

beforeAll(async () => {
  broker = await startKafkaBroker({ dataDir: dir.path });
  bus = createKafkajsBus({
    brokers: [broker.brokers],
    clientId: 'producer-sequence-test',
    logger: testLogger('producer-sequence'),
  });
  await bus.ensureTopics([{ topic: TOPIC, partitions: 1 }]);
  producer = await bus.producer();
});

afterAll(async () => {
  await producer?.close();
  await broker?.stop();
  dir.remove();
});

it('replaces a producer whose sequence the broker rejects and delivers the batch', async () => {
  for (let i = 0; i < 3; i++) await producer.send(TOPIC, [{ key: `k${i}`, value: `before-${i}` }]);
  await broker.stop();
  const partitionDir = join(dir.path, 'kafka-logs', `${TOPIC}-0`);
  dropLastBatch(
    join(
      partitionDir,
      readdirSync(partitionDir).find((f) => f.endsWith('.log'))!,
    ),
  );
  // Rebuild indexes and producer state from the cut log, as after an unclean shutdown.
  for (const f of readdirSync(partitionDir)) if (/\.(index|timeindex|snapshot)$/.test(f)) rmSync(join(partitionDir, f));
  const cleanShutdown = join(dir.path, 'kafka-logs', '.kafka_cleanshutdown');
  if (existsSync(cleanShutdown)) rmSync(cleanShutdown);
  await broker.restart();

  await producer.send(TOPIC, [{ key: 'after', value: 'after-restart' }]);

  const kafka = new Kafka({
    clientId: 'producer-sequence-check',
    brokers: [broker.brokers],
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: 'producer-sequence-check' });
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
  const deadline = Date.now() + 20_000;
  while (!values.includes('after-restart') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  expect(values).toEqual(['before-0', 'before-1', 'after-restart']);
}, 90_000);
