/**
 * Bus implementation on kafkajs 2.x (unmaintained since 2023; @platformatic/kafka is the planned
 * replacement, behind the same Bus interface). Verified against Kafka 3.9.2 (the pinned local
 * broker) and 4.1; see devkit/kafka/broker.ts.
 */
import { Kafka, Partitioners, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import type { Logger } from '../logger.js';
import { retryUntilDone } from '../retry.js';
import type {
  Bus,
  BusConsumer,
  BusMessage,
  BusProducer,
  ConsumerFailure,
  ConsumerOptions,
  BatchHandler,
  TopicConfig,
} from './bus.js';

const HEARTBEAT_EVERY_MS = 3_000;
/**
 * How long close() waits for kafkajs's disconnect. With the broker gone, disconnect sits out the
 * client's whole reconnect schedule (minutes); past this bound the client is abandoned and what it
 * had not committed is redelivered, exactly as after a crash.
 */
const DISCONNECT_TIMEOUT_MS = 10_000;

/**
 * Errors after which kafkajs's idempotent producer cannot send again: its sequence numbers no
 * longer match the broker's (a broker back from a crash with less of its log than it had
 * acknowledged; one that no longer knows the producer id). kafkajs never resets them (its issue
 * #598); the Java client bumps the epoch. The bus does the equivalent: a new producer (new id,
 * sequences from 0) resends the batch. The resend may duplicate what the broker had already
 * written: at-least-once, like a redelivery after a crash (ids are stable; the store keeps the
 * first copy of an id).
 */
const SEQUENCE_ERRORS = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH']);
const MAX_PRODUCER_REPLACEMENTS = 5;
const lostSequence = (err: unknown): boolean => {
  // kafkajs throws the broker's error, or wraps it (KafkaJSNonRetriableError.cause) after its retries.
  for (let e = err as { type?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
    if (SEQUENCE_ERRORS.has(e.type ?? '')) return true;
  return false;
};

/** Waits for `work` (its failure counts as settled) for at most `ms`; a pending timer never holds the process open. */
async function settleWithin(work: Promise<unknown>, ms: number): Promise<'settled' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms).unref()));
  const outcome = await Promise.race([
    work.then(
      () => 'settled' as const,
      () => 'settled' as const,
    ),
    timeout,
  ]);
  clearTimeout(timer);
  return outcome;
}

/** Resolves when `disconnect` does or after DISCONNECT_TIMEOUT_MS, whichever comes first. */
async function disconnectWithin(what: string, disconnect: () => Promise<void>, logger: Logger): Promise<void> {
  const outcome = await settleWithin(
    disconnect().catch((err: unknown) => logger.warn({ err }, `Kafka ${what} disconnect failed`)),
    DISCONNECT_TIMEOUT_MS,
  );
  if (outcome === 'timeout')
    logger.warn(
      { timeoutMs: DISCONNECT_TIMEOUT_MS },
      `Kafka ${what} did not disconnect in time (broker unreachable?); abandoning it`,
    );
}

export function createKafkajsBus(opts: { brokers: string[]; clientId: string; logger: Logger }): Bus {
  const kafka = new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log }) => {
        const { message, ...extra } = log;
        const fields = { kafka: namespace, ...extra };
        // kafkajs logs every retriable error response (e.g. "coordinator is loading" while a new
        // broker creates __consumer_offsets) at ERROR before retrying it; real failures still throw.
        if (namespace === 'Connection' && message.startsWith('Response')) opts.logger.debug(fields, message);
        else if (level <= logLevel.ERROR) opts.logger.error(fields, message);
        else opts.logger.warn(fields, message);
      },
    // Brokers restart; reconnect patiently instead of crashing the service.
    retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 30 },
  });
  let admin: Admin | undefined;
  const failureListeners: Array<(f: ConsumerFailure) => void> = [];
  const getAdmin = async (): Promise<Admin> => {
    if (!admin) {
      admin = kafka.admin();
      await admin.connect();
    }
    return admin;
  };

  /**
   * Admin requests retried on what kafkajs marks retriable: a broker that has just started (or a
   * topic just created) answers NOT_COORDINATOR or UNKNOWN_TOPIC_OR_PARTITION for a moment, and
   * kafkajs's own retries do not cover every such path (createTopics' wait for leaders, offsetFetch).
   */
  const withAdmin = <T>(what: string, fn: (a: Admin) => Promise<T>): Promise<T> =>
    retryUntilDone(async () => fn(await getAdmin()), {
      maxAttempts: 12,
      baseMs: 250,
      maxMs: 5_000,
      isRetriable: (err) => (err as { retriable?: boolean }).retriable === true,
      onRetry: (err, attempt, delayMs) =>
        opts.logger.warn({ err, attempt, delayMs }, `Kafka admin ${what} failed; retrying`),
    });

  return {
    async close() {
      const openAdmin = admin;
      admin = undefined;
      if (openAdmin) await disconnectWithin('admin', () => openAdmin.disconnect(), opts.logger);
    },
    async producer(): Promise<BusProducer> {
      const connectProducer = async (): Promise<Producer> => {
        const p = kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          createPartitioner: Partitioners.DefaultPartitioner,
          // Idempotence needs unlimited retries (kafkajs warns otherwise): while the broker is away a
          // send waits for it instead of failing, so the caller never commits past unsent output.
          retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 10_000 },
        });
        await p.connect();
        return p;
      };
      let producer = await connectProducer();
      /** Producers replaced after a sequence error: sends that took them may still be in flight, so they are closed with the bus producer. */
      const retired: Producer[] = [];
      /** The replacement being connected after a sequence error, shared by concurrent senders. */
      let replacing: Promise<void> | undefined;
      let closed = false;
      const replace = (failed: Producer, err: unknown): Promise<void> => {
        if (producer !== failed) return Promise.resolve(); // another send already replaced it
        replacing ??= (async () => {
          opts.logger.warn(
            { err },
            'Kafka producer lost its idempotence sequence; replacing it and resending the batch',
          );
          const fresh = await connectProducer();
          retired.push(failed);
          producer = fresh;
        })().finally(() => (replacing = undefined));
        return replacing;
      };
      return {
        async send(topic, records) {
          if (records.length === 0) return;
          for (let attempt = 1; ; attempt++) {
            if (closed) throw new Error('Kafka producer is closed');
            const current = producer;
            try {
              await current.send({
                topic,
                acks: -1,
                messages: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
              });
              return;
            } catch (err) {
              if (attempt >= MAX_PRODUCER_REPLACEMENTS) throw err;
              // Replaced while this send was in flight: whatever it failed with, the new producer resends it.
              if (current !== producer) continue;
              // Closed meanwhile: a replacement now would be a producer nobody closes.
              if (closed || !lostSequence(err)) throw err;
              await replace(current, err);
            }
          }
        },
        async close() {
          closed = true;
          const openAdmin = admin;
          admin = undefined;
          // A replacement still connecting (the broker may be away) is waited for within the same bound.
          if (replacing) await settleWithin(replacing, DISCONNECT_TIMEOUT_MS);
          await Promise.all([
            ...[producer, ...retired].map((p) => disconnectWithin('producer', () => p.disconnect(), opts.logger)),
            openAdmin && disconnectWithin('admin', () => openAdmin.disconnect(), opts.logger),
          ]);
        },
      };
    },

    async consumer(copts: ConsumerOptions): Promise<BusConsumer> {
      const consumer: Consumer = kafka.consumer({
        groupId: copts.groupId,
        maxBytesPerPartition: copts.maxBytesPerPartition ?? 1 << 20,
        maxWaitTimeInMs: copts.maxWaitTimeMs ?? 100,
        sessionTimeout: 30_000,
        heartbeatInterval: HEARTBEAT_EVERY_MS,
        retry: {
          retries: 30,
          // kafkajs restarts a consumer that crashed on a retriable error; not one that close() gave up on.
          restartOnFailure: async () => !wrapper.isClosing,
        },
      });
      const wrapper = new KafkajsConsumer(consumer, copts, opts.logger);
      // kafkajs restarts a consumer after a retriable error only; after any other it stays stopped (CRASH with
      // restart false): the group's partitions go unread while this process keeps running.
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (payload.restart || wrapper.isClosing) return;
        const failure = { groupId: copts.groupId, error: payload.error };
        opts.logger.fatal({ err: payload.error, groupId: copts.groupId }, 'Kafka consumer stopped for good');
        for (const listener of failureListeners) listener(failure);
      });
      await consumer.connect();
      for (const topic of copts.topics) {
        await consumer.subscribe({ topic, fromBeginning: copts.fromBeginning ?? true });
      }
      return wrapper;
    },

    onConsumerFailure(listener) {
      failureListeners.push(listener);
    },

    async ensureTopics(topics: readonly TopicConfig[]) {
      await withAdmin('createTopics', async (a) => {
        const existing = new Set(await a.listTopics());
        const missing = topics.filter((t) => !existing.has(t.topic));
        if (missing.length === 0) return;
        await a.createTopics({
          waitForLeaders: true,
          topics: missing.map((t) => ({
            topic: t.topic,
            numPartitions: t.partitions,
            replicationFactor: -1, // the broker's default.replication.factor
            configEntries: [
              ...(t.retentionMs === undefined ? [] : [{ name: 'retention.ms', value: String(t.retentionMs) }]),
              ...(t.cleanupPolicy === undefined ? [] : [{ name: 'cleanup.policy', value: t.cleanupPolicy }]),
              ...(t.maxMessageBytes === undefined
                ? []
                : [{ name: 'max.message.bytes', value: String(t.maxMessageBytes) }]),
            ],
          })),
        });
      });
    },

    async lag(groupId: string, topic: string) {
      const [ends, committed] = await withAdmin('lag', (a) =>
        Promise.all([a.fetchTopicOffsets(topic), a.fetchOffsets({ groupId, topics: [topic] })]),
      );
      // '-1': nothing committed yet; such a group starts at the low watermark (retention may have moved it).
      const committedByPartition = new Map(
        (committed[0]?.partitions ?? []).filter((p) => p.offset !== '-1').map((p) => [p.partition, BigInt(p.offset)]),
      );
      let lag = 0n;
      for (const p of ends) {
        const end = BigInt(p.high);
        const done = committedByPartition.get(p.partition) ?? BigInt(p.low);
        if (end > done) lag += end - done;
      }
      return Number(lag);
    },
  };
}

class KafkajsConsumer implements BusConsumer {
  private readonly abort = new AbortController();
  private inFlight = 0;
  /** Set by close(): batches fetched from then on are left uncommitted, not started. */
  private closing = false;
  private idle: (() => void) | undefined;

  constructor(
    private readonly consumer: Consumer,
    private readonly opts: ConsumerOptions,
    private readonly logger: Logger,
  ) {}

  get isClosing(): boolean {
    return this.closing;
  }

  async run(handler: BatchHandler): Promise<void> {
    let joined!: () => void;
    const hasJoined = new Promise<void>((resolve) => (joined = resolve));
    const offJoin = this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.opts.onAssignment?.(e.payload.memberAssignment);
      joined();
    });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.opts.partitionsConsumedConcurrently ?? 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (this.closing || !isRunning() || isStale() || batch.messages.length === 0) return;
        const messages: BusMessage[] = batch.messages.map((m) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key ? m.key.toString('utf8') : null,
          value: m.value,
          timestamp: Number(m.timestamp),
          headers: Object.fromEntries(
            Object.entries(m.headers ?? {}).map(([k, v]) => [
              k,
              Buffer.isBuffer(v) ? v.toString('utf8') : String(v ?? ''),
            ]),
          ),
        }));
        this.inFlight++;
        const beat = setInterval(() => void heartbeat().catch(() => undefined), HEARTBEAT_EVERY_MS);
        try {
          await handler(messages, { signal: this.abort.signal });
          if (this.abort.signal.aborted) return; // handler gave up on shutdown: leave uncommitted
          const last = messages[messages.length - 1]!.offset;
          resolveOffset(last);
          await this.consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
          ]);
        } finally {
          clearInterval(beat);
          this.inFlight--;
          if (this.inFlight === 0) this.idle?.();
        }
      },
    });
    await hasJoined;
    if (!this.opts.onAssignment) offJoin();
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.inFlight > 0) {
      await settleWithin(new Promise<void>((resolve) => (this.idle = resolve)), this.opts.closeGraceMs ?? 10_000);
      this.abort.abort();
    }
    await disconnectWithin('consumer', () => this.consumer.disconnect(), this.logger);
  }
}
