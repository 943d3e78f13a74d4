/**
 * Reading a compacted topic from its start: the alert service keeps its detector state (state-store.ts) and the
 * silences (silences.ts) in such topics, read whole at start with a consumer group of their own.
 */
import { randomUUID } from 'node:crypto';
import type { Bus, BusConsumer, BusMessage } from '@finsent/shared';

interface ReadOptions {
  groupPrefix: string;
  timeoutMs?: number;
  maxWaitTimeMs?: number;
}

/**
 * Hands every message of `topic` to `onMessage` from the beginning, under a new consumer group, and resolves with
 * the running consumer once it has caught up with the end the topic had; it goes on with what comes later.
 */
export async function followFromStart(
  bus: Bus,
  topic: string,
  onMessage: (m: BusMessage) => void,
  o: ReadOptions,
): Promise<BusConsumer> {
  const groupId = `${o.groupPrefix}-${randomUUID()}`;
  const consumer = await bus.consumer({
    groupId,
    topics: [topic],
    fromBeginning: true,
    maxWaitTimeMs: o.maxWaitTimeMs ?? 100,
  });
  try {
    await consumer.run(async (batch) => batch.forEach(onMessage));
    const deadline = Date.now() + (o.timeoutMs ?? 60_000);
    while ((await bus.lag(groupId, topic)) > 0) {
      if (Date.now() > deadline) throw new Error(`reading ${topic} timed out`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await consumer.close();
    throw err;
  }
  return consumer;
}

/** Hands every message of `topic` to `onMessage`, from the beginning up to the end it had when called. */
export async function readToEnd(
  bus: Bus,
  topic: string,
  onMessage: (m: BusMessage) => void,
  o: ReadOptions,
): Promise<void> {
  // Nothing to read (an empty topic, or one not created yet): no consumer group to join. A group that never
  // committed lags by the whole topic.
  if ((await bus.lag(`${o.groupPrefix}-${randomUUID()}`, topic)) === 0) return;
  await (await followFromStart(bus, topic, onMessage, o)).close();
}
