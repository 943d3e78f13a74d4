/** One alert process for integration tests: the fan-out and the worker, delivering to a webhook. */
import { createRegistry, type Bus, type Logger, type ScoredItem } from '@finsent/shared';
import { scoredItem } from './scored-item.js';
import { AlertWorker, SignalFanOut, WebhookNotifier, alertMetrics } from '@finsent/alert';
import type { Dispatcher, Notifier } from '@finsent/alert';

export interface AlertTopics {
  scored: string;
  signals: string;
  alerts: string;
  state: string;
}

/** Per-run topic names under `test.<name>.`, so reruns never share state. */
export function alertTestTopics(name: string, run: number): AlertTopics {
  return {
    scored: `test.${name}.scored.${run}`,
    signals: `test.${name}.signals.${run}`,
    alerts: `test.${name}.alerts.${run}`,
    state: `test.${name}.state.${run}`,
  };
}

/**
 * Both stages of one alert process, in the consumer groups `<group>-fanout` and `<group>`, delivering to a webhook
 * or, with `dispatch`, where its routes and silences say.
 */
export function alertProcess(o: {
  bus: Bus;
  logger: Logger;
  topics: AlertTopics;
  group: string;
  webhookUrl?: string;
  notifiers?: Notifier[];
  dispatch?: Dispatcher;
}) {
  const metrics = alertMetrics(createRegistry('alert'));
  const fanOut = new SignalFanOut({
    bus: o.bus,
    metrics,
    logger: o.logger,
    topics: o.topics,
    groupId: `${o.group}-fanout`,
  });
  const worker = new AlertWorker({
    bus: o.bus,
    logger: o.logger,
    metrics,
    topics: o.topics,
    groupId: o.group,
    notifiers: o.notifiers ?? [
      new WebhookNotifier(o.webhookUrl!, undefined, {
        maxAttempts: 3,
        timeoutMs: 5_000,
        baseBackoffMs: 50,
        logger: o.logger,
      }),
    ],
    ...(o.dispatch ? { dispatch: o.dispatch } : {}),
  });
  return {
    metrics,
    worker,
    start: async () => (await worker.start(), await fanOut.start()),
    stop: async () => (await fanOut.stop(), await worker.stop()),
  };
}

/** Small seeded PRNG (an LCG) for the tests' item streams. */
export function seededRandom(seed: number): () => number {
  return () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296;
}

/**
 * Six Markets items a minute from minute `fromMin` to `toMin` after `t0`, each negative with probability `share`;
 * ids are unique per minute and index (`idBase` keeps two streams of one run apart).
 */
export function minuteItems(o: {
  t0: number;
  fromMin: number;
  toMin: number;
  share: number;
  seed: number;
  tickers?: string[];
  idBase?: number;
}): ScoredItem[] {
  const r = seededRandom(o.seed);
  const out: ScoredItem[] = [];
  for (let m = o.fromMin; m < o.toMin; m++) {
    for (let i = 0; i < 6; i++) {
      const neg = r() < o.share;
      const id = `${(m + (o.idBase ?? 0)).toString(16).padStart(8, '0')}${i.toString(16).padStart(24, '0')}`;
      out.push(
        scoredItem({
          id,
          at: new Date(o.t0 + m * 60_000 + i * 10_000).toISOString(),
          negative: neg,
          title: `${neg ? 'Bank fails' : 'Calm'} ${m}-${i}`,
          topic: 'Markets',
          tickers: o.tickers ?? [],
        }),
      );
    }
  }
  return out;
}
