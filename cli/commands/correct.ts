/** finsent correct: an analyst says which label of an item the model got wrong, and what is right. */
import { hostname, userInfo } from 'node:os';
import {
  SENTIMENTS,
  STORED_LABELS_QUERY,
  TOPICS,
  buildCorrections,
  correctionsProducer,
  errorMessage,
  type StoredLabels,
} from '@finsent/shared';
import { loadStoreConfig } from '@finsent/store';
import { withReadClient } from '../read-path.js';
import { withBus } from '../kafka.js';
import { parseCommand } from '../args.js';

const HELP = `Usage: finsent correct ITEM_ID [--sentiment S] [--topic T] [--entity NAME --entity-sentiment S] [--by WHO] [--note TEXT]

Records that the model got a label of a scored item wrong, and the right one: the whole text's sentiment, its topic,
or the sentiment of one company it names (--entity: the name or ticker the item carries). Each correction keeps who,
when, the model version it corrects and the label it replaces. It goes through Kafka (finsent.corrections.v1,
KAFKA_BROKERS) to the store, which keeps it in ClickHouse (v_corrections; v_items_corrected shows corrected labels
beside the model's); the newest correction of a label is the one that counts. finsent export-training writes them
in the training format.
  S: ${SENTIMENTS.join(' | ')}
  T: one of the 20 topics, e.g. "Earnings" (finsent eval --help lists them all)
  --by WHO     who corrects (default: user@host)
  --note TEXT  why, for the next person
`;

const usage = (msg: string) => (process.stderr.write(`finsent correct: ${msg}\n\n${HELP}`), 2);

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand('correct', HELP, {
    args: argv,
    allowPositionals: true,
    options: {
      sentiment: { type: 'string' },
      topic: { type: 'string' },
      entity: { type: 'string' },
      'entity-sentiment': { type: 'string' },
      by: { type: 'string' },
      note: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values: v, positionals } = parsed;
  const [itemId, ...extra] = positionals;
  if (!itemId || extra.length)
    return usage(
      itemId
        ? `unexpected argument ${extra[0]}`
        : 'which item? (its id: finsent query "SELECT id, title FROM v_items …")',
    );
  if (!/^[0-9a-f]{32}$/.test(itemId)) return usage(`${itemId}: an item id is 32 lowercase hex characters`);
  if (v.sentiment === undefined && v.topic === undefined && v.entity === undefined)
    return usage('nothing to correct: give --sentiment, --topic or --entity');
  if ((v.entity === undefined) !== (v['entity-sentiment'] === undefined))
    return usage('--entity and --entity-sentiment go together');
  for (const [flag, value] of [
    ['--sentiment', v.sentiment],
    ['--entity-sentiment', v['entity-sentiment']],
  ] as const) {
    if (value !== undefined && !SENTIMENTS.includes(value as never))
      return usage(`${flag} ${value}: expected ${SENTIMENTS.join(', ')}`);
  }
  if (v.topic !== undefined && !TOPICS.includes(v.topic as never))
    return usage(`--topic ${v.topic}: expected one of ${TOPICS.join(', ')}`);
  const by = v.by ?? `${userInfo().username}@${hostname()}`;

  let item: StoredLabels | undefined;
  const read = await withReadClient('correct', async (client) => {
    [item] = await (
      await client.query({ query: STORED_LABELS_QUERY, query_params: { id: itemId }, format: 'JSONEachRow' })
    ).json<StoredLabels>();
    return 0;
  });
  if (read !== 0) return read;
  if (!item) return (process.stderr.write(`finsent correct: no item ${itemId} in ClickHouse\n`), 1);
  const built = buildCorrections(
    {
      item_id: itemId,
      sentiment: v.sentiment,
      topic: v.topic,
      entity: v.entity,
      entity_sentiment: v['entity-sentiment'],
      by,
      note: v.note,
    },
    item,
  );
  if ('problem' in built) return usage(built.problem);
  const { corrections } = built;

  const config = loadStoreConfig();
  const sent = await withBus('correct', config, async (bus) => {
    try {
      const producer = await correctionsProducer(bus);
      await producer.send(corrections).finally(() => producer.close());
    } catch (err) {
      throw new Error(
        `could not send the correction to Kafka (${config.KAFKA_BROKERS.join(',')}): ${errorMessage(err)}`,
      );
    }
    return 0;
  });
  if (sent !== 0) return sent;
  for (const c of corrections) {
    process.stdout.write(
      `correction ${c.id}: ${c.entity ? `${c.entity} ` : ''}${c.field} ${c.old_label} → ${c.new_label} (model ${c.model_version}, by ${c.created_by})\n`,
    );
  }
  return 0;
}
