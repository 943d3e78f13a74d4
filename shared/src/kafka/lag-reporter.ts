import type { Gauge } from 'prom-client';
import type { Bus } from './bus.js';

/**
 * Keeps `finsent_consumer_lag_messages{group,topic}` current for a consumer group, polling the
 * broker every `everyMs`. Returns the function that stops it. A failed poll (broker restarting)
 * keeps the last value; the next poll corrects it.
 */
export function reportConsumerLag(bus: Bus, gauge: Gauge<'group' | 'topic'>, group: string, topics: readonly string[], everyMs = 5_000): () => void {
  const timer = setInterval(() => {
    for (const topic of topics) {
      bus.lag(group, topic).then(
        (lag) => gauge.set({ group, topic }, lag),
        () => undefined,
      );
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
