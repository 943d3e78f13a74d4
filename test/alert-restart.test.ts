/**
 * Restart safety on a real broker: an alert pipeline (fan-out + worker) detects a spike and
 * delivers it, stops; a new one (fresh detectors) restores the state from the compacted state
 * topic and re-reads everything from the start under new consumer groups (as after lost commits):
 * the fan-out publishes every signal again and the worker re-reads them all. Nothing is counted or
 * delivered twice, and a later spike is judged against the restored baseline.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkajsBus, type ScoredItem } from '@finsent/shared';
import { startWebhookSink } from '../devkit/webhook-sink.js';
import { alertProcess, alertTestTopics, minuteItems } from './support/alert-process.js';
import { brokers, testLogger, waitFor } from './support/env.js';

const run = Date.now();
const topics = alertTestTopics('alert-restart', run);
const T0 = Date.UTC(2026, 0, 5, 14, 0);

const items = (fromMin: number, toMin: number, share: number, seed: number) =>
  minuteItems({ t0: T0, fromMin, toMin, share, seed });

describe('alert state across a restart', () => {
  const logger = testLogger('alert-restart');
  const bus = createKafkajsBus({ brokers: [brokers()], clientId: 'alert-restart-test', logger });
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of closers.reverse()) await c();
  });

  it('delivers each alert once and keeps the baseline', async () => {
    await bus.ensureTopics([
      { topic: topics.scored, partitions: 3 },
      { topic: topics.signals, partitions: 3 },
      { topic: topics.alerts, partitions: 1 },
    ]);
    const sink = await startWebhookSink();
    closers.push(() => sink.close());
    const producer = await bus.producer();
    closers.push(() => producer.close());
    const publish = (xs: ScoredItem[]) =>
      producer.send(
        topics.scored,
        xs.map((x) => ({ key: x.id, value: JSON.stringify(x) })),
      );
    /** One alert process, under consumer groups named after `name`. */
    const pipeline = (name: string) =>
      alertProcess({ bus, logger, topics, group: `alert-restart-${name}-${run}`, webhookUrl: sink.url });

    // Calm at 10% negative for two hours, then a spike.
    await publish([...items(0, 120, 0.1, 1), ...items(120, 130, 0.9, 2)]);
    const w1 = pipeline('a');
    await w1.start();
    const first = await waitFor('the first spike alert', async () => sink.received[0], 60_000);
    expect(Date.parse(first.window_end)).toBeGreaterThan(T0 + 120 * 60_000);
    await new Promise((r) => setTimeout(r, 1_500));
    await w1.stop();

    // A new process that lost its commits: it re-reads everything and must not re-fire.
    const w2 = pipeline('b');
    await w2.start();
    closers.push(() => w2.stop());
    await publish([...items(130, 200, 0.1, 3), ...items(200, 206, 0.6, 4)]);
    const second = await waitFor(
      'the second spike alert',
      async () => sink.received.find((a) => Date.parse(a.window_end) > T0 + 200 * 60_000),
      60_000,
    );
    // Judged against the baseline learnt before the restart (10%), not the prior (25%).
    expect(second.baseline_share).toBeLessThan(0.16);
    await new Promise((r) => setTimeout(r, 1_500));
    const ids = sink.received.map((a) => a.id);
    // every first-run signal came round again through the new fan-out group and was dropped
    expect((await w2.metrics.replayedSignals.get()).values[0]?.value).toBe(130 * 6);
    expect(new Set(ids).size).toBe(ids.length);
    expect(sink.requests).toBe(ids.length);
    expect(ids).toHaveLength(2);
  }, 120_000);
});
