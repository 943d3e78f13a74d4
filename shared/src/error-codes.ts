/**
 * The registry of every error code finsent raises on purpose (a FinsentError), in the style of
 * @platformatic/kafka's closed set of codes with a retry hint and of fastify's documented codes.
 * `FinsentError` accepts only a code of this table (an unregistered code does not compile) and takes
 * its `retriable` flag from the code's hint, so a call site cannot contradict it. docs/errors.md
 * documents the same codes with the same hints (checked by error-codes.test.ts).
 */

/**
 * Whether retrying the operation that failed can help:
 * - `backoff`: transient; the same operation may succeed later. Retried with exponential backoff
 *   (`retriable: true`).
 * - `http_status`: decided by the HTTP status the error carries: 408, 429 and 5xx as `backoff`,
 *   any other status as `never`.
 * - `after_fix`: fails the same way until something outside the operation changes (configuration,
 *   the model files, the input file, another process, a restart of the service). Not retried in
 *   place (`retriable: false`): the command or service stops with the code.
 * - `never`: the data itself cannot be used; retrying the same bytes fails the same way. Not
 *   retried (`retriable: false`): it is dead-lettered or skipped.
 */
export type RetryHint = 'backoff' | 'http_status' | 'after_fix' | 'never';

export const RETRY_HINTS: Readonly<Record<RetryHint, string>> = {
  backoff: 'transient: retried with exponential backoff',
  http_status: 'retried for HTTP 408, 429 and 5xx; final for any other status',
  after_fix:
    'not retried: fails the same way until configuration, files or another process change, or the service restarts',
  never: 'not retried: the data itself is unusable (dead-lettered or skipped)',
};

export interface ErrorCodeInfo {
  readonly retry: RetryHint;
  /** Who raises it: services and `finsent` commands, as in the "where" column of docs/errors.md. */
  readonly raisedBy: string;
  /** One line; docs/errors.md says more and what to do. */
  readonly description: string;
}

export const ERROR_CODES = {
  FINSENT_ERR_CONFIG: {
    retry: 'after_fix',
    raisedBy: 'every service, CLI',
    description: 'an environment variable (or FEEDS_FILE) is invalid',
  },
  FINSENT_ERR_INPUT: {
    retry: 'after_fix',
    raisedBy: 'finsent classify/eval/replay/drift-reference',
    description: 'an input file cannot be read',
  },
  FINSENT_ERR_MODEL_MISSING: {
    retry: 'after_fix',
    raisedBy: 'classify',
    description: 'a file of MODEL_DIR is missing',
  },
  FINSENT_ERR_MODEL_CONTRACT: {
    retry: 'after_fix',
    raisedBy: 'classify',
    description: "the model's labels, inputs or outputs differ from the pipeline's contract",
  },
  FINSENT_ERR_MODEL_LOAD: {
    retry: 'after_fix',
    raisedBy: 'classify',
    description: 'onnxruntime could not load the model, or the inference thread did not start',
  },
  FINSENT_ERR_INFERENCE: {
    retry: 'after_fix',
    raisedBy: 'classify',
    description:
      'an inference run failed or the inference thread died; the service restarts and the batch is redelivered',
  },
  FINSENT_ERR_CLICKHOUSE_LOCKED: {
    retry: 'after_fix',
    raisedBy: 'store, CLI commands that open ClickHouse',
    description:
      'the embedded ClickHouse is held by another process (or, for finsent query --write, by a running store)',
  },
  FINSENT_ERR_CLICKHOUSE_OPEN: {
    retry: 'after_fix',
    raisedBy: 'store, CLI commands that open ClickHouse',
    description: 'the embedded database folder cannot be opened',
  },
  FINSENT_ERR_FEED_TIMEOUT: {
    retry: 'backoff',
    raisedBy: 'ingest, finsent feed',
    description: 'the feed did not answer in time',
  },
  FINSENT_ERR_FEED_UNREACHABLE: {
    retry: 'backoff',
    raisedBy: 'ingest, finsent feed',
    description: 'the feed could not be reached',
  },
  FINSENT_ERR_FEED_HTTP: {
    retry: 'http_status',
    raisedBy: 'ingest, finsent feed',
    description: 'the feed answered with an error status (or a redirect without Location)',
  },
  FINSENT_ERR_FEED_TOO_LARGE: {
    retry: 'after_fix',
    raisedBy: 'ingest, finsent feed',
    description: 'the body exceeds FEED_MAX_BYTES',
  },
  FINSENT_ERR_FEED_REDIRECTS: {
    retry: 'after_fix',
    raisedBy: 'ingest, finsent feed',
    description: 'more than FEED_MAX_REDIRECTS redirects',
  },
  FINSENT_ERR_FEED_FORBIDDEN_TARGET: {
    retry: 'after_fix',
    raisedBy: 'ingest, finsent feed',
    description: 'the feed or a redirect points at a forbidden scheme or address',
  },
  FINSENT_ERR_FEED_CHARSET: {
    retry: 'never',
    raisedBy: 'ingest, finsent feed',
    description: 'the declared charset is unknown',
  },
  FINSENT_ERR_FEED_PARSE: {
    retry: 'never',
    raisedBy: 'ingest, finsent feed',
    description: 'the body is not RSS/Atom/RDF',
  },
  FINSENT_ERR_SOCIAL_UNREACHABLE: {
    retry: 'backoff',
    raisedBy: 'ingest social sources',
    description: 'the platform did not answer',
  },
  FINSENT_ERR_SOCIAL_HTTP: {
    retry: 'http_status',
    raisedBy: 'ingest social sources',
    description: 'the platform answered with an error status',
  },
  FINSENT_ERR_SOCIAL_RATE_LIMITED: {
    retry: 'backoff',
    raisedBy: 'ingest social sources',
    description: "429 or an exhausted rate-limit budget; the next poll waits for the platform's reset",
  },
  FINSENT_ERR_SOCIAL_TOO_LARGE: {
    retry: 'after_fix',
    raisedBy: 'ingest social sources',
    description: 'the response exceeds SOCIAL_MAX_BYTES',
  },
  FINSENT_ERR_SOCIAL_PARSE: {
    retry: 'never',
    raisedBy: 'ingest social sources',
    description: "the response is not the platform's JSON shape",
  },
  FINSENT_ERR_SEEN_LOAD: {
    retry: 'backoff',
    raisedBy: 'ingest',
    description: 'the persisted exact-dedup ids could not be read at start',
  },
  FINSENT_ERR_WEBHOOK_UNREACHABLE: {
    retry: 'backoff',
    raisedBy: 'alert',
    description: 'a webhook or Slack receiver could not be reached',
  },
  FINSENT_ERR_WEBHOOK_HTTP: {
    retry: 'http_status',
    raisedBy: 'alert',
    description: 'a webhook or Slack receiver answered with an error status',
  },
} as const satisfies Record<`FINSENT_ERR_${string}`, ErrorCodeInfo>;

/** A registered code: the only kind FinsentError accepts. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes whose retriability depends on an HTTP status (which FinsentError then requires). */
export type HttpStatusErrorCode = {
  [C in ErrorCode]: (typeof ERROR_CODES)[C]['retry'] extends 'http_status' ? C : never;
}[ErrorCode];

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/** The HTTP statuses worth retrying: request timeout, too many requests, server errors. */
export function isRetriableHttpStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Whether an error with this code (and, for `http_status` codes, this status) is worth retrying. An unknown code is not. */
export function isRetriableCode(code: string, status?: number): boolean {
  if (!isErrorCode(code)) return false;
  const hint: RetryHint = ERROR_CODES[code].retry;
  if (hint === 'http_status') return status !== undefined && isRetriableHttpStatus(status);
  return hint === 'backoff';
}
