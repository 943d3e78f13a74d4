/**
 * Reading a compacted topic to its end: the alert service keeps its detector state (state-store.ts) and the silences
 * (silences.ts) in such topics, and reads them whole at start with a throwaway consumer group.
 */
import { randomUUID } from 'node:crypto';
import type { Bus, BusMessage } from '@finsent/shared';

/** Hands every message of `topic` to `onMessage`, from the beginning up to the end it had when called. */
export async function readToEnd(
  bus: Bus,
  topic: string,
  onMessage: (m: BusMessage) => void,
  o: { groupPrefix: string; timeoutMs?: number },
): Promise<void> {
  const groupId = `${o.groupPrefix}-${randomUUID()}`;
  if ((await bus.lag(groupId, topic)) === 0) return;
  const consumer = await bus.consumer({ groupId, topics: [topic], fromBeginning: true, maxWaitTimeMs: 100 });
  try {
    await consumer.run(async (batch) => batch.forEach(onMessage));
    const deadline = Date.now() + (o.timeoutMs ?? 60_000);
    while ((await bus.lag(groupId, topic)) > 0) {
      if (Date.now() > deadline) throw new Error(`reading ${topic} timed out`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await consumer.close();
  }
}
