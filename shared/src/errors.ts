import { isRetriableCode, type ErrorCode, type HttpStatusErrorCode } from './error-codes.js';

/**
 * Every error the pipeline raises on purpose carries a stable `code` from the registry
 * (shared/src/error-codes.ts, documented in docs/errors.md) and says whether retrying can help, in
 * the style of @platformatic/kafka. `retriable` comes from the code's retry hint, never from the
 * call site; for the `http_status` codes the status is required and decides it.
 *
 * `retriable` is read by retryUntilDone (shared/src/retry.ts) and by kafkajs when a consumer's
 * handler throws (true: the batch is retried and the consumer restarted; false: the consumer stops).
 */
export class FinsentError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  /** The HTTP status of an `http_status` code's error. */
  readonly status: number | undefined;
  constructor(code: HttpStatusErrorCode, message: string, opts: { status: number; cause?: unknown });
  constructor(code: Exclude<ErrorCode, HttpStatusErrorCode>, message: string, opts?: { cause?: unknown });
  constructor(code: ErrorCode, message: string, opts: { status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'FinsentError';
    this.code = code;
    this.status = opts.status;
    this.retriable = isRetriableCode(code, opts.status);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A configuration error (FINSENT_ERR_CONFIG: a ConfigError, or a bad FEEDS_FILE): the CLI exits 2 on one. */
export function isConfigError(err: unknown): err is FinsentError {
  return err instanceof FinsentError && err.code === 'FINSENT_ERR_CONFIG';
}

/**
 * How the CLI shows an error: `message [CODE]` for a FinsentError; the message alone for a
 * configuration error (FINSENT_ERR_CONFIG: a list of every bad variable, exit status 2) and for
 * anything else.
 */
export function errorLine(err: unknown): string {
  if (err instanceof FinsentError && err.code !== 'FINSENT_ERR_CONFIG') return `${err.message} [${err.code}]`;
  return errorMessage(err);
}
