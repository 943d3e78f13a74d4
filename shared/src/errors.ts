/**
 * Every error the pipeline raises on purpose carries a stable `code` (documented in
 * docs/errors.md) and says whether retrying can help, in the style of @platformatic/kafka.
 */
export class FinsentError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  constructor(code: string, message: string, opts: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'FinsentError';
    this.code = code;
    this.retriable = opts.retriable ?? false;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
