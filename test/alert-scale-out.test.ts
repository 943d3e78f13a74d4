/**
 * Scale-out on a real broker: two alert processes (each a fan-out and a worker, in the same two
 * consumer groups) share the work. Every key has one owner: the signals partitions are split
 * between the workers without overlap, and a spike on the market and on two tickers is delivered
 * exactly once, judged on all of that key's items (two owners would each see part of the market
 * and fire with different numbers, or not at all).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkajsBus, type ScoredItem } from '@finsent/shared';
import { startWebhookSink } from '../devkit/webhook-sink.js';
import { alertProcess, alertTestTopics, seededRandom } from './support/alert-process.js';
import { brokers, testLogger, waitFor } from './support/env.js';
import { scoredItem } from './support/scored-item.js';

const run = Date.now();
const topics = alertTestTopics('alert-scale', run);
const T0 = Date.UTC(2026, 0, 5, 14, 0);
const TICKERS = ['AAPL', 'MSFT', 'TSLA', 'NVDA', 'AMZN', 'META'];
const SPIKING = new Set(['TSLA', 'NVDA']);

/** Two items a minute per ticker, 10% negative, 90% for the spiking tickers from `spikeFrom`. */
function items(minutes: number, spikeFrom: number): ScoredItem[] {
  const r = seededRandom(7);
  const out: ScoredItem[] = [];
  for (let m = 0; m < minutes; m++) {
    for (const [k, ticker] of TICKERS.entries()) {
      for (let i = 0; i < 2; i++) {
        const neg = r() < (m >= spikeFrom && SPIKING.has(ticker) ? 0.9 : 0.1);
        const at = new Date(T0 + m * 60_000 + (k * 2 + i) * 5_000).toISOString();
        const id = `${m.toString(16).padStart(8, '0')}${(k * 2 + i).toString(16).padStart(24, '0')}`;
        out.push(
          scoredItem({
            id,
            at,
            negative: neg,
            title: `${ticker} ${neg ? 'plunges' : 'steady'} ${m}`,
            topic: 'Stock Movement',
            tickers: [ticker],
          }),
        );
      }
    }
  }
  return out;
}

describe('alert scale-out', () => {
  const logger = testLogger('alert-scale-out');
  const bus = createKafkajsBus({ brokers: [brokers()], clientId: 'alert-scale-test', logger });
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of closers.reverse()) await c();
  });

  it('gives each key one owner, so each spike is delivered once', async () => {
    await bus.ensureTopics([
      { topic: topics.scored, partitions: 6 },
      { topic: topics.signals, partitions: 6 },
      { topic: topics.alerts, partitions: 1 },
    ]);
    const sink = await startWebhookSink();
    closers.push(() => sink.close());
    // Two processes in the same two consumer groups.
    const processes = [0, 1].map(() =>
      alertProcess({ bus, logger, topics, group: `alert-scale-${run}`, webhookUrl: sink.url }),
    );
    for (const p of processes) {
      await p.start();
      closers.push(p.stop);
    }
    // The second member's join makes the group rebalance: wait until it settles with both owning.
    const owned = await waitFor(
      'both workers to own signals partitions',
      async () => {
        const [a, b] = processes.map((p) => p.worker.partitions);
        return a!.length > 0 && b!.length > 0 && a!.length + b!.length === 6 ? [a!, b!] : undefined;
      },
      60_000,
    );
    expect(new Set(owned.flat()).size).toBe(6);

    const producer = await bus.producer();
    closers.push(() => producer.close());
    await producer.send(
      topics.scored,
      items(130, 120).map((x) => ({ key: x.id, value: JSON.stringify(x) })),
    );

    const expected = ['market:*', 'ticker:NVDA', 'ticker:TSLA'];
    await waitFor(
      'market and both ticker alerts',
      async () => expected.every((k) => sink.received.some((a) => `${a.scope}:${a.key}` === k)),
      90_000,
    );
    await new Promise((r) => setTimeout(r, 3_000)); // room for a second copy to arrive, if any
    const keys = sink.received.map((a) => `${a.scope}:${a.key}`).sort();
    expect(keys).toEqual(expected);
    expect(sink.requests).toBe(3);
    // Judged on all of a key's items: the market saw every item of the spike minutes, not a share.
    const market = sink.received.find((a) => a.scope === 'market')!;
    expect(market.baseline_share).toBeLessThan(0.15);
    const fired = await Promise.all(
      processes.map(async (p) => (await p.metrics.alertsFired.get()).values.reduce((n, v) => n + v.value, 0)),
    );
    expect(fired[0]! + fired[1]!).toBe(3);
    // Both fan-outs worked (the scored partitions were split between them too), and every signal
    // was counted once: one for the market family and one for the ticker of each item.
    const total = async (name: 'signalsPublished' | 'itemsObserved') =>
      Promise.all(processes.map(async (p) => (await p.metrics[name].get()).values[0]?.value ?? 0));
    const published = await total('signalsPublished');
    expect(published.every((n) => n > 0)).toBe(true);
    expect(published[0]! + published[1]!).toBeGreaterThanOrEqual(130 * 12 * 2);
    const observed = await total('itemsObserved');
    expect(observed[0]! + observed[1]!).toBe(130 * 12 * 2);
  }, 180_000);
});
