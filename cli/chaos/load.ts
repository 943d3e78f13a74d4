/**
 * The steady load of a chaos run: valid raw items with unique ids, on a simulated event clock
 * (`perSimMinute` items per simulated minute) so that a run of a minute or two spans hours of
 * event time, with a negative burst (bank-run headlines) between two simulated minutes.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SCHEMA_VERSION, type RawItem } from '@finsent/shared';
import { stableId } from '@finsent/ingest';

const SAMPLE = fileURLToPath(new URL('../sample/headlines.ndjson', import.meta.url));

interface SampleLine {
  title: string;
  published_at: string;
}

/** Calm headlines and burst headlines from the bundled sample (its 11:30–11:50 window is the bank scare). */
export function sampleHeadlines(): { calm: string[]; burst: string[] } {
  const lines = readFileSync(SAMPLE, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as SampleLine);
  const inBurst = (l: SampleLine) =>
    l.published_at >= '2026-11-23T11:30:00Z' && l.published_at < '2026-11-23T11:50:00Z';
  return {
    calm: lines.filter((l) => !inBurst(l)).map((l) => l.title),
    burst: lines.filter(inBurst).map((l) => l.title),
  };
}

export interface LoadPlan {
  runId: string;
  /** Event time of item 0. */
  startMs: number;
  perSimMinute: number;
  burstFromMinute: number;
  burstToMinute: number;
}

export function chaosItem(plan: LoadPlan, i: number, texts: { calm: string[]; burst: string[] }): RawItem {
  const eventMs = plan.startMs + Math.floor((i * 60_000) / plan.perSimMinute);
  const minute = (eventMs - plan.startMs) / 60_000;
  const inBurst = minute >= plan.burstFromMinute && minute < plan.burstToMinute;
  const pool = inBurst ? texts.burst : texts.calm;
  const title = `${pool[i % pool.length]!} [${i}]`;
  const at = new Date(eventMs).toISOString();
  return {
    schema_version: SCHEMA_VERSION,
    id: stableId(`chaos:${plan.runId}:${i}`),
    source: `chaos:${plan.runId}`,
    source_kind: 'replay',
    url: null,
    title,
    text: title,
    truncated: false,
    lang: 'en',
    published_at: at,
    fetched_at: at,
    tickers: [],
    duplicate_of: null,
    novelty: 1,
    entities: [],
  };
}

/** Poison that must all end up on the dead-letter topic, keyed so it can be found there (`count` messages per key). */
export interface Poison {
  key: string;
  value: Buffer;
  reason: string;
  count: number;
}

/** Messages that must all end up on the dead-letter topic, keyed so they can be found there. */
export function poisonMessages(runId: string): Poison[] {
  const valid = chaosItem({ runId, startMs: Date.now(), perSimMinute: 1, burstFromMinute: 0, burstToMinute: 0 }, -1, {
    calm: ['x'],
    burst: ['x'],
  });
  const one = (key: string, value: Buffer, reason: string): Poison => ({ key, value, reason, count: 1 });
  return [
    one(`poison-json-${runId}`, Buffer.from('{"schema_version":1,"id":'), 'invalid_json'),
    one(
      `poison-schema-${runId}`,
      Buffer.from(JSON.stringify({ schema_version: 1, id: 'not-an-id', text: 42 })),
      'schema_violation',
    ),
    one(
      `poison-huge-${runId}`,
      Buffer.from(JSON.stringify({ ...valid, text: 'sell '.repeat(2 * 1024 * 1024) })),
      'schema_violation',
    ),
    one(
      `poison-utf8-${runId}`,
      Buffer.concat([Buffer.from('{"schema_version":1,"text":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]),
      'invalid_utf8',
    ),
    // A lone surrogate (JSON escape) used to make ClickHouse refuse the row on every retry and stall the store.
    one(
      `poison-surrogate-${runId}`,
      Buffer.from(JSON.stringify({ ...valid, text: 'Bank \ud800 run' })),
      'schema_violation',
    ),
    // Ten big non-JSON messages under one key reach classify as one batch: dead-lettered in one produce they
    // exceeded the dead-letter topic's message limit and killed classify's consumer.
    { key: `poison-big-${runId}`, value: Buffer.alloc(200 * 1024, 0x3c), reason: 'invalid_json', count: 10 },
  ];
}

/** Valid negative items dated 2099: stored like any item, but they must neither fire nor hide the burst's alert. */
export function farFutureItems(plan: LoadPlan, texts: { calm: string[]; burst: string[] }): RawItem[] {
  return Array.from({ length: 5 }, (_, k) => {
    const at = new Date(Date.UTC(2099, 0, 1) + k * 1_000).toISOString();
    return {
      ...chaosItem(plan, 0, texts),
      id: stableId(`chaos:${plan.runId}:future:${k}`),
      title: `${texts.burst[k % texts.burst.length]!} [future ${k}]`,
      text: `${texts.burst[k % texts.burst.length]!} [future ${k}]`,
      published_at: at,
      fetched_at: at,
    };
  });
}
