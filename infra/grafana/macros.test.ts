import { describe, expect, it } from 'vitest';
import { expandMacros, type MacroContext } from './macros.js';

const ctx: MacroContext = {
  from: new Date('2026-03-02T14:00:00Z'),
  to: new Date('2026-03-02T15:00:00.500Z'),
  intervalSeconds: 60,
  vars: { ticker: 'BRK.B', quote: "O'Neil" },
};

describe('expandMacros', () => {
  it('expands time filters to the dashboard range in unix seconds (or ms)', () => {
    expect(expandMacros('WHERE $__timeFilter(minute)', ctx)).toBe(
      'WHERE minute >= toDateTime(1772460000) AND minute <= toDateTime(1772463600)',
    );
    expect(expandMacros('WHERE $__timeFilter_ms( t )', ctx)).toBe(
      'WHERE t >= fromUnixTimestamp64Milli(1772460000000) AND t <= fromUnixTimestamp64Milli(1772463600500)',
    );
    expect(expandMacros('$__fromTime, $__toTime', ctx)).toBe('toDateTime(1772460000), toDateTime(1772463600)');
  });

  it('expands interval macros, never below one second', () => {
    expect(expandMacros('$__timeInterval(minute) / $__interval_s', ctx)).toBe(
      'toStartOfInterval(toDateTime(minute), INTERVAL 60 second) / 60',
    );
    expect(expandMacros('$__interval_s', { ...ctx, intervalSeconds: 0.2 })).toBe('1');
  });

  it('substitutes variables raw or quoted', () => {
    expect(expandMacros("x = '$ticker' OR y = '${ticker}'", ctx)).toBe("x = 'BRK.B' OR y = 'BRK.B'");
    expect(expandMacros('x = ${ticker:singlequote}', ctx)).toBe("x = 'BRK.B'");
    expect(expandMacros('x = ${quote:sqlstring}', ctx)).toBe("x = 'O\\'Neil'");
  });

  it('rejects what it cannot expand', () => {
    expect(() => expandMacros('$__timeGroup(t, 1m)', ctx)).toThrow(/unsupported macro/);
    expect(() => expandMacros('x = $topic', ctx)).toThrow(/unknown template variable \$topic/);
    expect(() => expandMacros('x = ${ticker:csv}', ctx)).toThrow(/unsupported variable format/);
  });
});
