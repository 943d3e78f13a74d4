/**
 * The live view's way to ClickHouse: the configured server, or, on the embedded default, the running store's
 * read-only endpoint (the embedded database belongs to the store's process). The endpoint is looked up again after
 * a failed read, so a store that restarts (on a new port or token) is found without restarting the view.
 */
import {
  createClickHouse,
  errorMessage,
  runningStoreEndpoint,
  storeEndpointClient,
  type ClickHouseClient,
} from '@finsent/shared';
import type { LiveConfig } from './config.js';

export class ClickHouseReader {
  private client: ClickHouseClient | undefined;
  /** Since when reads fail (ms), for /healthz; undefined while they succeed. */
  failingSince: number | undefined;
  lastError: string | undefined;

  constructor(private readonly config: LiveConfig) {}

  /** Runs `read` on a client; a failure closes a store-endpoint client so that the next read looks it up again. */
  async read<T>(read: (client: ClickHouseClient) => Promise<T>): Promise<T> {
    try {
      const result = await read(await this.open());
      this.failingSince = this.lastError = undefined;
      return result;
    } catch (err) {
      this.failingSince ??= Date.now();
      this.lastError = errorMessage(err);
      if (!this.config.CLICKHOUSE_URL) await this.drop();
      throw err;
    }
  }

  private async open(): Promise<ClickHouseClient> {
    if (this.client) return this.client;
    if (this.config.CLICKHOUSE_URL) {
      this.client = (
        await createClickHouse({
          url: this.config.CLICKHOUSE_URL,
          username: this.config.CLICKHOUSE_USER,
          password: this.config.CLICKHOUSE_PASSWORD,
          database: this.config.CLICKHOUSE_DATABASE,
          dataPath: '',
        })
      ).client;
      return this.client;
    }
    const endpoint = await runningStoreEndpoint(this.config.FINSENT_DATA_DIR);
    if (!endpoint)
      throw new Error(
        `no running store serves the embedded ClickHouse under ${this.config.FINSENT_DATA_DIR} (start the store, or set CLICKHOUSE_URL)`,
      );
    this.client = storeEndpointClient(endpoint);
    return this.client;
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.close();
  }

  close(): Promise<void> {
    return this.drop();
  }
}
