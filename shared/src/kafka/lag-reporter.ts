import { Gauge, type Registry } from 'prom-client';
import type { Bus } from './bus.js';

/** `finsent_consumer_lag_messages{group,topic}`: the same gauge in every consuming service. */
export function consumerLagGauge(registry: Registry): Gauge<'group' | 'topic'> {
  return new Gauge({
    name: 'finsent_consumer_lag_messages',
    help: 'Messages not yet committed by the consumer group',
    labelNames: ['group', 'topic'],
    registers: [registry],
  });
}

/**
 * Keeps `finsent_consumer_lag_messages{group,topic}` current for a consumer group, polling the
 * broker every `everyMs`. Returns the function that stops it. A failed poll (broker restarting)
 * keeps the last value; the next poll corrects it.
 */
export function reportConsumerLag(
  bus: Bus,
  gauge: Gauge<'group' | 'topic'>,
  group: string,
  topics: readonly string[],
  everyMs = 5_000,
): () => void {
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
