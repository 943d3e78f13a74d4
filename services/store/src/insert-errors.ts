/**
 * Tells the insert errors that no retry can fix (ClickHouse refused the data itself) from the
 * ones that may pass later (network, timeouts, memory, too many parts, anything unknown). The
 * sink retries the latter with backoff and isolates the rows behind the former (sink.ts).
 *
 * Both clients carry ClickHouse's numeric exception code: @clickhouse/client's ClickHouseError as
 * the string `code` (with `type`, the name), chdb's ChdbError as the number `clickhouseCode`;
 * either may sit on `.cause`, and raw messages start with `Code: <n>.`.
 */

/**
 * ClickHouse error codes (src/Common/ErrorCodes.cpp) that mean "this data cannot be stored as
 * sent": parsing, conversion and range errors raised while reading the inserted rows. Kept narrow
 * on purpose. Left out, so retried: errors about the table rather than the rows (e.g. 16
 * NO_SUCH_COLUMN_IN_TABLE, 47 UNKNOWN_IDENTIFIER, 60 UNKNOWN_TABLE: a migration not applied yet
 * would otherwise dead-letter the whole stream), 32 ATTEMPT_TO_READ_AFTER_EOF and 33
 * CANNOT_READ_ALL_DATA (also what a request body cut off by the network gives), and 252
 * TOO_MANY_PARTS (too many active parts, which merges fix; also raised for "too many partitions for
 * single INSERT block", which the sink avoids by splitting batches by partition).
 */
export const DETERMINISTIC_INSERT_ERROR_CODES: ReadonlyMap<number, string> = new Map([
  [6, 'CANNOT_PARSE_TEXT'],
  [25, 'CANNOT_PARSE_ESCAPE_SEQUENCE'],
  [26, 'CANNOT_PARSE_QUOTED_STRING'],
  [27, 'CANNOT_PARSE_INPUT_ASSERTION_FAILED'],
  [38, 'CANNOT_PARSE_DATE'],
  [41, 'CANNOT_PARSE_DATETIME'],
  [43, 'ILLEGAL_TYPE_OF_ARGUMENT'],
  [53, 'TYPE_MISMATCH'],
  [69, 'ARGUMENT_OUT_OF_BOUND'],
  [70, 'CANNOT_CONVERT_TYPE'],
  [72, 'CANNOT_PARSE_NUMBER'],
  [117, 'INCORRECT_DATA'],
  [131, 'TOO_LARGE_STRING_SIZE'],
  [190, 'SIZES_OF_ARRAYS_DONT_MATCH'],
  [321, 'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE'],
  [349, 'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN'],
  [376, 'CANNOT_PARSE_UUID'],
  [407, 'DECIMAL_OVERFLOW'],
  [467, 'CANNOT_PARSE_BOOL'],
]);

/** The ClickHouse exception code an error (or one of its causes) carries, if any. */
export function clickHouseErrorCode(err: unknown): number | undefined {
  for (
    let e = err, depth = 0;
    e !== null && typeof e === 'object' && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const { code, clickhouseCode, message } = e as { code?: unknown; clickhouseCode?: unknown; message?: unknown };
    if (typeof clickhouseCode === 'number' && Number.isInteger(clickhouseCode)) return clickhouseCode;
    if (typeof code === 'number' && Number.isInteger(code)) return code;
    if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
    const m = typeof message === 'string' ? /^Code:\s*(\d+)\b/.exec(message) : null;
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** True when ClickHouse refused the inserted data itself: retrying the same rows fails the same way. */
export function isDeterministicInsertError(err: unknown): boolean {
  const code = clickHouseErrorCode(err);
  return code !== undefined && DETERMINISTIC_INSERT_ERROR_CODES.has(code);
}
