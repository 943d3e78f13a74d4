/**
 * Where a fired alert goes: nowhere while a silence mutes it, else to the receivers its routes name (routing.ts).
 */
import type { Alert } from '@finsent/shared';
import { receiversFor, type RoutingTable } from './routing.js';
import type { SilenceBook, Silence } from './silences.js';
import type { Notifier } from './webhook-notifier.js';

export interface Dispatch {
  notifiers: Notifier[];
  /** Set when a silence mutes the alert: it is recorded, not delivered. */
  silence?: Silence;
}

export type Dispatcher = (alert: Alert) => Dispatch;

export function createDispatcher(o: {
  table: RoutingTable;
  notifiers: ReadonlyMap<string, Notifier>;
  silences?: SilenceBook;
  now?: () => number;
}): Dispatcher {
  return (alert) => {
    const silence = o.silences?.muting(alert, o.now?.() ?? Date.now());
    if (silence) return { notifiers: [], silence };
    return { notifiers: receiversFor(alert, o.table).map((name) => o.notifiers.get(name)!) };
  };
}
