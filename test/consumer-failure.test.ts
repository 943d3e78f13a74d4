/**
 * A consumer that stops for good must not go unnoticed. kafkajs restarts a consumer after retriable errors
 * only: after a deterministic one (the broker refusing a produce as too large, say) it stays stopped while
 * the process runs on. The bus reports it, and watchConsumers turns it into a failing /healthz and a
 * failure the service exits on (so its supervisor restarts it).
 */
import { expect, it } from 'vitest';
import { createKafkajsBus, watchConsumers } from '@finsent/shared';
import { brokers, testLogger, waitFor } from './support/env.js';

it('reports a consumer whose handler failed deterministically, and only that one', async () => {
  const bus = createKafkajsBus({
    brokers: [brokers()],
    clientId: 'consumer-failure-test',
    logger: testLogger('consumer-failure'),
  });
  const topic = `consumer-failure.${Date.now()}`;
  await bus.ensureTopics([{ topic, partitions: 1 }]);
  const watch = watchConsumers(bus);
  expect(watch.health()).toEqual({ ok: true, consumers: 'running' });

  const healthy = await bus.consumer({ groupId: `${topic}.healthy`, topics: [topic] });
  const failing = await bus.consumer({ groupId: `${topic}.failing`, topics: [topic] });
  let seen = 0;
  await healthy.run(async (batch) => void (seen += batch.length));
  await failing.run(async () => {
    throw Object.assign(new Error('refused by the broker'), { retriable: false });
  });
  const producer = await bus.producer();
  await producer.send(topic, [{ key: 'k', value: 'v' }]);

  const error = await Promise.race([watch.failure, new Promise<undefined>((r) => setTimeout(r, 30_000, undefined))]);
  expect(error?.message).toContain(`${topic}.failing`);
  expect(watch.health()).toMatchObject({ ok: false });
  await waitFor('the healthy consumer to read the message', async () => seen === 1);
  await Promise.all([healthy.close(), failing.close(), producer.close()]);
}, 60_000);
