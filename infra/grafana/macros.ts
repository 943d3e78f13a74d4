/**
 * Expands the Grafana macros and template variables our ClickHouse panels use into concrete SQL,
 * the way the grafana-clickhouse-datasource plugin (v4) does at query time, so tests can run every
 * panel's SQL against a real ClickHouse. Anything it does not know is an error, not passed through:
 * a panel using an unsupported macro must fail the test rather than fail in Grafana.
 */
export interface MacroContext {
  /** Dashboard time range. */
  from: Date;
  to: Date;
  /** Grafana's $__interval, in seconds. */
  intervalSeconds: number;
  /** Template variables by name (single values). */
  vars: Record<string, string>;
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
const sqlString = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function variable(name: string, format: string | undefined, ctx: MacroContext): string {
  const value = ctx.vars[name];
  if (value === undefined) throw new Error(`unknown template variable $${name}`);
  if (format === undefined || format === 'raw') return value;
  if (format === 'singlequote' || format === 'sqlstring') return sqlString(value);
  throw new Error(`unsupported variable format \${${name}:${format}}`);
}

export function expandMacros(sql: string, ctx: MacroContext): string {
  const from = seconds(ctx.from);
  const to = seconds(ctx.to);
  const out = sql
    .replace(
      /\$__timeFilter_ms\(\s*([^)]+?)\s*\)/g,
      (_, col: string) =>
        `${col} >= fromUnixTimestamp64Milli(${ctx.from.getTime()}) AND ${col} <= fromUnixTimestamp64Milli(${ctx.to.getTime()})`,
    )
    .replace(
      /\$__timeFilter\(\s*([^)]+?)\s*\)/g,
      (_, col: string) => `${col} >= toDateTime(${from}) AND ${col} <= toDateTime(${to})`,
    )
    .replace(
      /\$__timeInterval\(\s*([^)]+?)\s*\)/g,
      (_, col: string) =>
        `toStartOfInterval(toDateTime(${col}), INTERVAL ${Math.max(1, Math.round(ctx.intervalSeconds))} second)`,
    )
    .replace(/\$__fromTime\b/g, `toDateTime(${from})`)
    .replace(/\$__toTime\b/g, `toDateTime(${to})`)
    .replace(/\$__interval_s\b/g, String(Math.max(1, Math.round(ctx.intervalSeconds))))
    .replace(/\$\{(\w+)(?::(\w+))?\}/g, (_, name: string, format: string | undefined) => variable(name, format, ctx))
    .replace(/\$(\w+)/g, (_, name: string) => {
      if (name.startsWith('__')) throw new Error(`unsupported macro $${name}`);
      return variable(name, undefined, ctx);
    });
  return out;
}
