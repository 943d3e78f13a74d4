import type { Bus } from '@finsent/shared';

/**
 * The real Kafka bus with every topic name prefixed, so a test's messages never reach the pipeline
 * topics other test files count (the e2e test expects exactly its own items in ClickHouse).
 * Messages handed to consumers carry the unprefixed names, as services expect.
 */
export function isolatedBus(inner: Bus, prefix: string): Bus {
  const t = (topic: string) => `${prefix}.${topic}`;
  const strip = (topic: string) => (topic.startsWith(`${prefix}.`) ? topic.slice(prefix.length + 1) : topic);
  return {
    async producer() {
      const p = await inner.producer();
      return { send: (topic, records) => p.send(t(topic), records), close: () => p.close() };
    },
    async consumer(o) {
      const c = await inner.consumer({ ...o, topics: o.topics.map(t) });
      return {
        run: (handler) =>
          c.run((batch, ctx) =>
            handler(
              batch.map((m) => ({ ...m, topic: strip(m.topic) })),
              ctx,
            ),
          ),
        close: () => c.close(),
      };
    },
    onConsumerFailure: (listener) => inner.onConsumerFailure(listener),
    ensureTopics: (topics) => inner.ensureTopics(topics.map((x) => ({ ...x, topic: t(x.topic) }))),
    lag: (groupId, topic) => inner.lag(groupId, t(topic)),
    close: () => inner.close(),
  };
}
