import { Counter, Gauge, type Registry } from 'prom-client';
import { consumerLagGauge, deadLetterCounter } from '@finsent/shared';

export function alertMetrics(registry: Registry) {
  return {
    signalsPublished: new Counter({
      name: 'finsent_alert_signals_published_total',
      help: 'Signals the fan-out published (one per scored item for the market family, one per ticker)',
      registers: [registry],
    }),
    itemsObserved: new Counter({
      name: 'finsent_alert_items_observed_total',
      help: 'Signals fed to the detector',
      registers: [registry],
    }),
    replayedSignals: new Counter({
      name: 'finsent_alert_replayed_signals_total',
      help: 'Signals dropped because the fan-out sent them again after a restart',
      registers: [registry],
    }),
    ownedPartitions: new Gauge({
      name: 'finsent_alert_owned_partitions',
      help: 'Signals partitions (hence detection keys) this process owns',
      registers: [registry],
    }),
    lateItems: new Gauge({
      name: 'finsent_alert_late_items',
      help: 'Items that arrived after their minute was evaluated',
      registers: [registry],
    }),
    futureItems: new Gauge({
      name: 'finsent_alert_future_items',
      help: 'Items dated ahead of the clock, counted at the time they arrived',
      registers: [registry],
    }),
    alertsFired: new Counter({
      name: 'finsent_alerts_fired_total',
      help: 'Alerts fired',
      labelNames: ['scope', 'severity'],
      registers: [registry],
    }),
    silenced: new Counter({
      name: 'finsent_alerts_silenced_total',
      help: 'Alerts a silence muted (recorded, not delivered)',
      labelNames: ['scope'],
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'finsent_alert_deliveries_total',
      help: 'Alert deliveries by receiver and final state',
      labelNames: ['notifier', 'state'],
      registers: [registry],
    }),
    deadLetters: deadLetterCounter(registry),
    consumerLag: consumerLagGauge(registry),
  };
}
export type AlertMetrics = ReturnType<typeof alertMetrics>;
