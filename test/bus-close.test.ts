/**
 * Closing the Kafka bus when the broker is gone: the shutdown path of every service after a broker
 * crash (and of `finsent start` when the broker went first). kafkajs's disconnect sits out its whole
 * reconnect schedule (minutes) in that case; the bus gives up after a bounded wait instead, leaving
 * uncommitted work to be redelivered as after a crash. Uses a broker of its own, killed here.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKafkajsBus, type Bus } from '@finsent/shared';
import { startKafkaBroker, type KafkaBroker } from '../devkit/kafka/broker.js';
import { tempDir, testLogger } from './support/env.js';

const dir = tempDir('bus-close');
let broker: KafkaBroker;
let bus: Bus;

beforeAll(async () => {
  broker = await startKafkaBroker({ dataDir: dir.path });
  bus = createKafkajsBus({ brokers: [broker.brokers], clientId: 'bus-close-test', logger: testLogger('bus-close') });
  await bus.ensureTopics([{ topic: 'bus-close.in', partitions: 1 }]);
});

afterAll(async () => {
  await broker?.stop();
  dir.remove();
});

it('closes a consumer and a producer within seconds after the broker died', async () => {
  const producer = await bus.producer();
  await producer.send('bus-close.in', [{ key: 'k', value: 'v' }]);
  const consumer = await bus.consumer({ groupId: 'bus-close-group', topics: ['bus-close.in'] });
  let handled = 0;
  await consumer.run(async (batch) => {
    handled += batch.length;
  });
  const deadline = Date.now() + 30_000;
  while (handled === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(handled).toBe(1);

  await broker.kill();
  const t0 = Date.now();
  await Promise.all([consumer.close(), producer.close()]);
  const closeMs = Date.now() - t0;
  // Each client gives up after 10 s (disconnectWithin), all at once; kafkajs alone took minutes here.
  expect(closeMs).toBeLessThan(16_000);
}, 60_000);
