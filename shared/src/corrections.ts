/**
 * Turning "this label is wrong, it should be X" into correction records (contracts.ts, CorrectionSchema), the same
 * way from the CLI (`finsent correct`) and the live view: each names the label it replaces and the model version
 * that gave it, read from the stored item.
 */
import { randomBytes } from 'node:crypto';
import { CorrectionSchema, type Correction } from './contracts.js';
import type { Bus, BusProducer } from './kafka/bus.js';
import { TOPIC_NAMES, TOPIC_SPECS } from './kafka-topics.js';

/** What a correction needs of the stored item, as STORED_LABELS_QUERY returns it. */
export interface StoredLabels {
  sentiment: string;
  topic: string;
  model_version: string;
  names: string[];
  tickers: Array<string | null>;
  sentiments: string[];
}

export const STORED_LABELS_QUERY = `SELECT sentiment, topic, model_version, arrayMap(e -> e.name, entities) AS names,
  arrayMap(e -> e.ticker, entities) AS tickers, arrayMap(e -> e.sentiment, entities) AS sentiments
  FROM v_items WHERE id = {id:String}`;

export interface CorrectionRequest {
  item_id: string;
  sentiment?: string | undefined;
  topic?: string | undefined;
  /** The entity's name or ticker, as the item carries it. */
  entity?: string | undefined;
  entity_sentiment?: string | undefined;
  by: string;
  note?: string | undefined;
}

/** The corrections a request asks for, or what is wrong with it (an unknown entity, a label the model already gave). */
export function buildCorrections(
  req: CorrectionRequest,
  stored: StoredLabels,
  now = new Date(),
): { corrections: Correction[] } | { problem: string } {
  const base = {
    schema_version: 1 as const,
    item_id: req.item_id,
    model_version: stored.model_version,
    created_by: req.by,
    created_at: now.toISOString(),
    note: req.note ?? null,
  };
  const changes: Array<
    Pick<Correction, 'field' | 'old_label' | 'new_label'> & Partial<Pick<Correction, 'entity' | 'ticker'>>
  > = [];
  if (req.sentiment !== undefined)
    changes.push({ field: 'sentiment', old_label: stored.sentiment, new_label: req.sentiment });
  if (req.topic !== undefined) changes.push({ field: 'topic', old_label: stored.topic, new_label: req.topic });
  if (req.entity !== undefined) {
    const wanted = req.entity.toLowerCase();
    const i = stored.names.findIndex(
      (n, j) => n.toLowerCase() === wanted || stored.tickers[j]?.toLowerCase() === wanted,
    );
    if (i < 0) {
      const named = stored.names.map((n, j) => (stored.tickers[j] ? `${n} (${stored.tickers[j]})` : n));
      return { problem: `entity ${req.entity}: the item names ${named.length ? named.join(', ') : 'no company'}` };
    }
    changes.push({
      field: 'entity_sentiment',
      entity: stored.names[i]!,
      ticker: stored.tickers[i] ?? null,
      old_label: stored.sentiments[i]!,
      new_label: req.entity_sentiment ?? '',
    });
  }
  if (changes.length === 0) return { problem: 'nothing to correct: give a sentiment, a topic or an entity' };
  const same = changes.find((c) => c.old_label === c.new_label);
  if (same)
    return { problem: `the model already says ${same.new_label} for ${same.entity ?? same.field}; nothing to correct` };
  const corrections: Correction[] = [];
  for (const c of changes) {
    const parsed = CorrectionSchema.safeParse({
      entity: null,
      ticker: null,
      ...base,
      ...c,
      id: randomBytes(16).toString('hex'),
    });
    if (!parsed.success)
      return {
        problem: parsed.error.issues.map((i) => `${i.path.join('.') || 'correction'}: ${i.message}`).join('; '),
      };
    corrections.push(parsed.data);
  }
  return { corrections };
}

/**
 * A producer for the corrections topic, created first if it is missing (the CLI and the live view may be the first
 * to write to it). Records are keyed by item, so one item's corrections stay in order.
 */
export async function correctionsProducer(
  bus: Bus,
): Promise<{ send(corrections: Correction[]): Promise<void>; close(): Promise<void> }> {
  await bus.ensureTopics(TOPIC_SPECS.filter((t) => t.topic === TOPIC_NAMES.corrections));
  const producer: BusProducer = await bus.producer();
  return {
    send: (corrections) =>
      producer.send(
        TOPIC_NAMES.corrections,
        corrections.map((c) => ({ key: c.item_id, value: JSON.stringify(c) })),
      ),
    close: () => producer.close(),
  };
}
