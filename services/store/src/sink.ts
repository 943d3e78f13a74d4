/**
 * ClickHouse sink: scored items, alerts, analysts' corrections and a candidate model's shadow labels from Kafka into
 * their tables, in batches bounded by size and time. Offsets are committed only after the insert holding a message succeeded; while
 * ClickHouse is unreachable the insert is retried with backoff and consumption stalls (nothing is
 * dropped, Kafka holds the backlog). Redelivered rows are harmless: see migrations.ts.
 * A row ClickHouse refuses outright (a parse or type error, insert-errors.ts) is not retried: the
 * batch is bisected to find it, the other rows are inserted and its original message is
 * dead-lettered (`rejected_by_clickhouse`), so one bad row cannot stall the store.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import {
  AlertSchema,
  CONSUMER_GROUPS,
  CorrectionSchema,
  ShadowLabelsSchema,
  MicroBatcher,
  ScoredItemSchema,
  TOPIC_NAMES,
  errorMessage,
  parseMessage,
  publishDeadLetters,
  retryUntilDone,
  type Bus,
  type BusConsumer,
  type BusMessage,
  type BusProducer,
  type Logger,
  type Rejection,
} from '@finsent/shared';
import { alertRow, correctionRow, itemRow, shadowRow, monthOf, splitByPartition, toClickHouseTime } from './rows.js';
import type { StoreMetrics } from './metrics.js';
import { isDeterministicInsertError } from './insert-errors.js';

type Row = Record<string, unknown>;
/** A row with the Kafka message it came from, to dead-letter the original bytes if ClickHouse refuses the row. */
interface Pending {
  row: Row;
  message: BusMessage;
}

/** The column each monthly-partitioned table is partitioned on (migrations.ts). */
const PARTITION_COLUMN: Record<string, string | undefined> = {
  items: 'published_at',
  alerts: 'fired_at',
  shadow_labels: 'published_at',
};

type Table = 'items' | 'alerts' | 'corrections' | 'shadow_labels';
type ParsedRow = { ok: true; row: Row } | { ok: false; reasonCode: string; reason: string };
const rowOf = <T>(
  p: { ok: true; value: T } | { ok: false; reasonCode: string; reason: string },
  toRow: (v: T) => Row,
): ParsedRow => (p.ok ? { ok: true, row: toRow(p.value) } : p);
/** The topics whose messages become one row each, as they come: their table, contract and row. */
const ROW_TOPICS: Record<string, { table: Table; parse: (m: BusMessage) => ParsedRow }> = {
  [TOPIC_NAMES.alerts]: { table: 'alerts', parse: (m) => rowOf(parseMessage(m, AlertSchema), alertRow) },
  [TOPIC_NAMES.corrections]: {
    table: 'corrections',
    parse: (m) => rowOf(parseMessage(m, CorrectionSchema), correctionRow),
  },
  [TOPIC_NAMES.shadowScored]: {
    table: 'shadow_labels',
    parse: (m) => rowOf(parseMessage(m, ShadowLabelsSchema), shadowRow),
  },
};

/** Every topic the store consumes, in its consumer group. */
export const STORE_TOPICS = [TOPIC_NAMES.scored, ...Object.keys(ROW_TOPICS)];

export interface SinkOptions {
  bus: Bus;
  client: ClickHouseClient;
  logger: Logger;
  metrics: StoreMetrics;
  batchMax: number;
  batchWaitMs: number;
}

export class ClickHouseSink {
  private consumer: BusConsumer | undefined;
  private producer: BusProducer | undefined;
  private readonly stopping = new AbortController();
  private readonly batchers: Record<Table, MicroBatcher<Pending, void>>;
  private readonly knownModels = new Set<string>();
  /** Since when inserts have been failing (undefined while healthy), for /healthz. */
  failingSince: number | undefined;

  constructor(private readonly o: SinkOptions) {
    const batcher = (table: Table) =>
      new MicroBatcher<Pending, void>({
        maxItems: o.batchMax,
        maxWaitMs: o.batchWaitMs,
        process: async (pending) => {
          const refused = await this.insertIsolating(
            table,
            table === 'items' ? await this.withoutStoredItems(pending) : pending,
          );
          await this.deadLetterRefused(table, refused);
          return pending.map(() => undefined);
        },
      });
    this.batchers = {
      items: batcher('items'),
      alerts: batcher('alerts'),
      corrections: batcher('corrections'),
      shadow_labels: batcher('shadow_labels'),
    };
  }

  async start(): Promise<void> {
    this.producer = await this.o.bus.producer();
    this.consumer = await this.o.bus.consumer({
      groupId: CONSUMER_GROUPS.store,
      topics: STORE_TOPICS,
      partitionsConsumedConcurrently: 6,
      maxWaitTimeMs: 200,
    });
    await this.consumer.run(async (batch) => {
      const topic = batch[0]!.topic;
      const rejections: Rejection[] = [];
      const rows: Pending[] = [];
      const now = Date.now();
      const asRows = ROW_TOPICS[topic];
      if (asRows) {
        for (const m of batch) {
          const p = asRows.parse(m);
          if (p.ok) rows.push({ row: p.row, message: m });
          else rejections.push({ message: m, reasonCode: p.reasonCode, reason: p.reason });
        }
      } else {
        const newModels: Row[] = [];
        for (const m of batch) {
          const p = parseMessage(m, ScoredItemSchema);
          if (!p.ok) {
            rejections.push({ message: m, reasonCode: p.reasonCode, reason: p.reason });
            continue;
          }
          rows.push({ row: itemRow(p.value), message: m });
          this.o.metrics.publishToStoreSeconds.observe(Math.max(0, now - Date.parse(p.value.fetched_at)) / 1000);
          if (!this.knownModels.has(p.value.model_version)) {
            this.knownModels.add(p.value.model_version);
            newModels.push({ model_version: p.value.model_version, first_seen: toClickHouseTime(p.value.scored_at) });
          }
        }
        if (newModels.length) await this.insert('model_versions', newModels);
      }
      await publishDeadLetters(this.producer!, 'store', rejections, {
        counter: this.o.metrics.deadLetters,
        logger: this.o.logger,
      });
      if (rows.length) await this.batchers[asRows?.table ?? 'items'].submit(rows);
    });
  }

  /**
   * Keeps only the first copy of each item: drops rows whose id is already in ClickHouse or
   * earlier in the batch. A redelivered scored item can carry different labels than the stored
   * one (classify re-scored it after a crash, in a batch of other items, and int8 inference is
   * batch-dependent); inserting it would count the item under both labels in the trend tables.
   * Safe because the scored topic is keyed by id, so one store consumer owns each id at a time.
   */
  private async withoutStoredItems(rows: Pending[]): Promise<Pending[]> {
    const byId = new Map<string, Pending>();
    for (const r of rows) if (!byId.has(r.row.id as string)) byId.set(r.row.id as string, r);
    const firstCopies = [...byId.values()];
    const dates = [...new Set(firstCopies.map((r) => String(r.row.published_at).slice(0, 10)))];
    const stored = await retryUntilDone(
      async () => {
        const rs = await this.o.client.query({
          query: 'SELECT id FROM items WHERE toDate(published_at) IN {dates:Array(Date)} AND id IN {ids:Array(String)}',
          query_params: { dates, ids: firstCopies.map((r) => r.row.id as string) },
          format: 'JSONEachRow',
        });
        return new Set((await rs.json<{ id: string }>()).map((r) => r.id));
      },
      {
        signal: this.stopping.signal,
        baseMs: 250,
        maxMs: 15_000,
        onRetry: (err, attempt, delayMs) => this.insertFailed('items', rows.length, err, attempt, delayMs),
      },
    );
    this.o.metrics.redeliveredRows.inc(rows.length - firstCopies.length + stored.size);
    return firstCopies.filter((r) => !stored.has(r.row.id as string));
  }

  private insertFailed(table: string, rows: number, err: unknown, attempt: number, delayMs: number): void {
    this.failingSince ??= Date.now();
    this.o.metrics.insertFailures.inc({ table });
    this.o.logger.error(
      { table, rows, attempt, retryInMs: delayMs, err: errorMessage(err) },
      'ClickHouse insert failed; retrying (consumption paused)',
    );
  }

  private async insert(table: string, rows: Row[]): Promise<void> {
    const column = PARTITION_COLUMN[table];
    for (const chunk of column ? splitByPartition(rows, monthOf(column)) : [rows]) await this.insertChunk(table, chunk);
  }

  /**
   * Inserts `pending` (split by partition) and returns the rows ClickHouse refused outright, each
   * with its error. A chunk that fails with a deterministic error is bisected until the refused
   * rows stand alone; the others are inserted. Transient errors are retried as in insertChunk.
   * A refused insert writes nothing (the sink's batches are far below max_insert_block_size, so
   * ClickHouse parses the whole block before writing), so bisecting duplicates no row.
   */
  private async insertIsolating(table: string, pending: Pending[]): Promise<Array<Pending & { err: unknown }>> {
    const column = PARTITION_COLUMN[table];
    const refused: Array<Pending & { err: unknown }> = [];
    const bisect = async (chunk: Pending[], depth: number): Promise<void> => {
      if (chunk.length === 0) return;
      try {
        await this.insertChunk(
          table,
          chunk.map((p) => p.row),
          { stopOnDeterministic: true },
        );
      } catch (err) {
        if (!isDeterministicInsertError(err)) throw err;
        if (chunk.length === 1) {
          refused.push({ ...chunk[0]!, err });
          return;
        }
        if (depth === 0)
          this.o.logger.warn(
            { table, rows: chunk.length, err: errorMessage(err) },
            'ClickHouse refused the rows of an insert; bisecting to isolate the bad ones',
          );
        const mid = Math.ceil(chunk.length / 2);
        await bisect(chunk.slice(0, mid), depth + 1);
        await bisect(chunk.slice(mid), depth + 1);
      }
    };
    for (const chunk of column ? splitByPartition(pending, (p) => monthOf(column)(p.row)) : [pending])
      await bisect(chunk, 0);
    return refused;
  }

  /** Dead-letters the original message of each refused row (counted, logged, published; none: no-op). */
  private async deadLetterRefused(table: string, refused: Array<Pending & { err: unknown }>): Promise<void> {
    if (refused.length === 0) return;
    this.o.logger.warn({ table, rows: refused.length }, 'ClickHouse refused rows; dead-lettering their messages');
    const rejections: Rejection[] = refused.map((r) => ({
      message: r.message,
      reasonCode: 'rejected_by_clickhouse',
      reason: `${table}: ${errorMessage(r.err)}`,
    }));
    await publishDeadLetters(this.producer!, 'store', rejections, {
      counter: this.o.metrics.deadLetters,
      logger: this.o.logger,
    });
  }

  private async insertChunk(table: string, rows: Row[], opts: { stopOnDeterministic?: boolean } = {}): Promise<void> {
    if (rows.length === 0) return;
    await retryUntilDone(
      async () => {
        const t0 = process.hrtime.bigint();
        await this.o.client.insert({ table, values: rows, format: 'JSONEachRow' });
        this.o.metrics.insertSeconds.observe({ table }, Number(process.hrtime.bigint() - t0) / 1e9);
      },
      {
        signal: this.stopping.signal,
        baseMs: 250,
        maxMs: 15_000,
        onRetry: (err, attempt, delayMs) => this.insertFailed(table, rows.length, err, attempt, delayMs),
        ...(opts.stopOnDeterministic ? { isRetriable: (err: unknown) => !isDeterministicInsertError(err) } : {}),
      },
    );
    this.failingSince = undefined;
    this.o.metrics.rowsInserted.inc({ table }, rows.length);
    this.o.metrics.batchSize.observe({ table }, rows.length);
    this.o.metrics.lastInsertUnixSeconds.set(Date.now() / 1000);
  }

  async stop(): Promise<void> {
    // Give in-flight inserts the consumer's grace period; a retry loop still running after that
    // is aborted and its batch is left uncommitted for the next run.
    const abortLater = setTimeout(() => this.stopping.abort(), 8_000);
    try {
      await this.consumer?.close();
    } finally {
      clearTimeout(abortLater);
      await this.producer?.close();
    }
  }
}
