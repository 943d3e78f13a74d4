/**
 * The one small Kafka interface the services program against. The kafkajs adapter
 * (kafkajs-bus.ts) is the only file that imports a Kafka client, so swapping to
 * @platformatic/kafka means writing one more adapter, not touching services.
 *
 * Delivery contract: at-least-once. A consumer commits a batch's offsets only after its handler
 * resolved; a crash before that redelivers the batch, so handlers must be idempotent (ids are
 * stable and every sink de-duplicates on them).
 */
export interface BusRecord {
  key: string | null;
  value: string | Buffer;
  headers?: Record<string, string>;
}

export interface BusMessage {
  topic: string;
  partition: number;
  /** Kafka offsets are int64: kept as decimal strings. */
  offset: string;
  key: string | null;
  value: Buffer | null;
  /** Broker/producer timestamp, ms since epoch. */
  timestamp: number;
  headers: Record<string, string>;
}

export interface BusProducer {
  /** Resolves once every record is acknowledged by all in-sync replicas. */
  send(topic: string, records: BusRecord[]): Promise<void>;
  close(): Promise<void>;
}

export interface BatchContext {
  /** Aborted when the consumer is closing and the grace period ran out: stop retrying, give the batch back. */
  signal: AbortSignal;
}

/**
 * Handles one fetched batch (messages of one partition, in offset order). Resolve once every
 * message is dealt with (processed or dead-lettered): the offsets are then committed. Reject (or
 * resolve after `signal` aborted) to leave the batch uncommitted for redelivery.
 */
export type BatchHandler = (batch: BusMessage[], ctx: BatchContext) => Promise<void>;

export interface BusConsumer {
  /** Starts consuming in the background; resolves once the consumer has joined its group. */
  run(handler: BatchHandler): Promise<void>;
  /** Stops fetching, lets the in-flight batch finish (then commits it) and leaves the group. */
  close(): Promise<void>;
}

export interface ConsumerOptions {
  groupId: string;
  topics: string[];
  /** Where a group with no committed offset starts. Default: earliest, so nothing is skipped. */
  fromBeginning?: boolean;
  /** Upper bound on one fetch per partition, which bounds a handler batch. Default 1 MiB. */
  maxBytesPerPartition?: number;
  /** How long a fetch waits for data before returning what it has. Default 100 ms. */
  maxWaitTimeMs?: number;
  /** How many partitions' batches may be in handlers at once. Default 1. */
  partitionsConsumedConcurrently?: number;
  /** Grace period for the in-flight batch on close before its signal aborts. Default 10 s. */
  closeGraceMs?: number;
  /**
   * Called after each rebalance, before any batch of it, with the partitions this member now owns
   * (by topic): a stateful consumer drops the state of partitions it lost and loads the new ones'.
   */
  onAssignment?: (assigned: Record<string, number[]>) => void;
}

export interface TopicConfig {
  topic: string;
  partitions: number;
  retentionMs?: number;
  cleanupPolicy?: 'delete' | 'compact';
  /** Largest message the topic accepts (max.message.bytes); broker default when unset. */
  maxMessageBytes?: number;
}

/** A consumer that stopped for good on an error, not because close() was called. */
export interface ConsumerFailure {
  groupId: string;
  error: Error;
}

export interface Bus {
  producer(): Promise<BusProducer>;
  /**
   * Calls `listener` (at most once per consumer) when a consumer of this bus stops for good on an error
   * it cannot recover from, such as a handler failure the client does not restart after. A consumer that
   * is silently gone is lag growing behind a green /healthz: services report unhealthy and exit so that
   * their supervisor restarts them (see watchConsumers in service.ts).
   */
  onConsumerFailure(listener: (failure: ConsumerFailure) => void): void;
  consumer(opts: ConsumerOptions): Promise<BusConsumer>;
  /** Creates missing topics (existing ones are left as they are). */
  ensureTopics(topics: readonly TopicConfig[]): Promise<void>;
  /** Sum over partitions of (end offset - committed offset) for a group. */
  lag(groupId: string, topic: string): Promise<number>;
  /** Closes the bus's own admin connection (producers and consumers close themselves), so that a CLI can exit. */
  close(): Promise<void>;
}
