/** What both dashboards share: their data sources and how a time series shows its legend and tooltip. */
import * as common from '@grafana/grafana-foundation-sdk/common';

export const CLICKHOUSE_DS = { type: 'grafana-clickhouse-datasource', uid: 'finsent-clickhouse' } as const;
export const PROMETHEUS_DS = { type: 'prometheus', uid: 'finsent-prometheus' } as const;

/**
 * Every time series shows its legend as a table (last value and maximum per series) and a tooltip with all
 * series, largest first: the SDK's defaults hide the legend, so a chart of 20 topics named none of them.
 */
export const legend = () =>
  new common.VizLegendOptionsBuilder()
    .showLegend(true)
    .displayMode(common.LegendDisplayMode.Table)
    .placement(common.LegendPlacement.Bottom)
    .calcs(['lastNotNull', 'max'])
    .sortBy('Last *')
    .sortDesc(true);
export const tooltip = () =>
  new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending);
