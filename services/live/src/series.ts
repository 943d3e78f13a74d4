/**
 * Trend series as the charts draw them: one point per step (5 minutes by default: a minute holds too few items for a
 * share to mean much) from the first to the last step of the window, each with the negative share and its baseline.
 * A step without items is a gap, not a zero. The baseline is the share over the hour before the step, weighted by
 * items, the step itself excluded so that a spike cannot lift its own baseline (as in the v_topic_negative_zscore
 * view, which does the same per minute).
 */

/** One minute of a trend as ClickHouse returns it. */
export interface MinuteCounts {
  /** Unix seconds of the minute's start. */
  t: number;
  total: number;
  negative: number;
}

/** Columns for uPlot: x in unix seconds (each step's start), then share and baseline (null: nothing to show). */
export interface ShareSeries {
  step_minutes: number;
  t: number[];
  share: Array<number | null>;
  baseline: Array<number | null>;
  items: number[];
}

export const BASELINE_MINUTES = 60;
/** A baseline from fewer items than this is noise, not a reference: it is left out. */
export const MIN_BASELINE_ITEMS = 5;

/**
 * The series for the steps covering the `minutes` up to and including the minute `end` (unix seconds), from
 * `counts` that may reach an hour further back (the first steps' baseline needs them).
 */
export function shareSeries(
  counts: readonly MinuteCounts[],
  end: number,
  minutes: number,
  stepMinutes = 5,
): ShareSeries {
  const step = stepMinutes * 60;
  const byMinute = new Map(counts.map((c) => [c.t, c]));
  const sum = (from: number, to: number) => {
    let total = 0;
    let negative = 0;
    for (let t = from; t < to; t += 60) {
      const c = byMinute.get(t);
      if (!c) continue;
      total += c.total;
      negative += c.negative;
    }
    return { total, negative };
  };
  const out: ShareSeries = { step_minutes: stepMinutes, t: [], share: [], baseline: [], items: [] };
  const last = end - (end % step);
  for (let t = last - (Math.ceil(minutes / stepMinutes) - 1) * step; t <= last; t += step) {
    const here = sum(t, Math.min(t + step, end + 60));
    const before = sum(t - BASELINE_MINUTES * 60, t);
    out.t.push(t);
    out.items.push(here.total);
    out.share.push(here.total > 0 ? here.negative / here.total : null);
    out.baseline.push(before.total >= MIN_BASELINE_ITEMS ? before.negative / before.total : null);
  }
  return out;
}

/** The share over the last `minutes` of a series, and its latest baseline: what a view's headline figures show. */
export function latestFigures(
  s: ShareSeries,
  minutes = 15,
): { items: number; share: number | null; baseline: number | null } {
  let items = 0;
  let negative = 0;
  for (let i = Math.max(0, s.t.length - Math.ceil(minutes / s.step_minutes)); i < s.t.length; i++) {
    items += s.items[i]!;
    negative += (s.share[i] ?? 0) * s.items[i]!;
  }
  const baseline = [...s.baseline].reverse().find((b) => b !== null) ?? null;
  return { items, share: items > 0 ? Math.round((negative / items) * 1e4) / 1e4 : null, baseline };
}
