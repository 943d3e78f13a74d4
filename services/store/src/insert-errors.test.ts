import { describe, expect, it } from 'vitest';
import { ClickHouseError } from '@clickhouse/client';
import { clickHouseErrorCode, isDeterministicInsertError } from './insert-errors.js';

/** The shape of chdb's ChdbError (node_modules/chdb/dist/errors.js, not exported from the package root). */
const chdbError = (message: string, clickhouseCode?: number, code = 'CHDB_QUERY') =>
  Object.assign(new Error(message), { code, clickhouseCode });

describe('isDeterministicInsertError', () => {
  it('reads the code from @clickhouse/client, chdb, a cause or a raw message', () => {
    expect(
      clickHouseErrorCode(
        new ClickHouseError({ message: 'Cannot parse input', code: '27', type: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED' }),
      ),
    ).toBe(27);
    expect(clickHouseErrorCode(chdbError('Code: 53. DB::Exception: Type mismatch', 53))).toBe(53);
    expect(clickHouseErrorCode(new Error('insert failed', { cause: chdbError('x', 349) }))).toBe(349);
    expect(clickHouseErrorCode(new Error('Code: 6. DB::Exception: Cannot parse text'))).toBe(6);
    expect(clickHouseErrorCode(new Error('socket hang up'))).toBeUndefined();
    expect(clickHouseErrorCode('nope')).toBeUndefined();
  });

  it('is true for data ClickHouse refuses (parse, type, range, NULL)', () => {
    for (const code of ['6', '27', '38', '41', '53', '72', '117', '349'])
      expect(isDeterministicInsertError(new ClickHouseError({ message: 'refused', code, type: undefined })), code).toBe(
        true,
      );
    expect(isDeterministicInsertError(chdbError('Code: 27. DB::Exception: Cannot parse input', 27))).toBe(true);
  });

  it('is false for what may pass on a retry, and for anything unknown', () => {
    for (const code of [
      '241' /* MEMORY_LIMIT_EXCEEDED */,
      '252' /* TOO_MANY_PARTS */,
      '159' /* TIMEOUT_EXCEEDED */,
      '202' /* TOO_MANY_SIMULTANEOUS_QUERIES */,
      '209' /* SOCKET_TIMEOUT */,
      '210' /* NETWORK_ERROR */,
      '60' /* UNKNOWN_TABLE */,
      '47' /* UNKNOWN_IDENTIFIER */,
      '33' /* CANNOT_READ_ALL_DATA */,
    ])
      expect(isDeterministicInsertError(new ClickHouseError({ message: 'x', code, type: undefined })), code).toBe(
        false,
      );
    expect(isDeterministicInsertError(chdbError('deadline', undefined, 'CHDB_TIMEOUT'))).toBe(false);
    expect(isDeterministicInsertError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(
      false,
    );
    expect(isDeterministicInsertError(undefined)).toBe(false);
  });
});
