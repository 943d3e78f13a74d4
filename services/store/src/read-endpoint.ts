/**
 * A read-only, ClickHouse-HTTP-compatible endpoint served by the process that owns the embedded ClickHouse.
 *
 * An embedded database belongs to one process: while the store runs, `finsent query` from another shell could
 * not open it. The store answers SQL over the subset of ClickHouse's HTTP interface that `@clickhouse/client`,
 * curl and other HTTP clients use: `GET /?query=…`, `POST /` with the statement in the body (after an optional
 * `query` parameter), `param_<name>` query parameters, `default_format`, and `GET /ping`. Statements run on a
 * session of their own with `readonly = 1`, so the engine itself refuses writes, DDL, settings changes and
 * file/url table functions; the scalar `file()` and `INTO OUTFILE`, which readonly lets through, are refused
 * before they run (fileAccessIn). It is not a ClickHouse server: no sessions, no compression, no Native protocol;
 * loopback only, and every request must carry the endpoint's token (HTTP basic auth, user `default`), so a web page
 * the analyst opens cannot use it. Queries run one at a time in the store's process beside its inserts, with limits
 * on time, memory and result size. Its URL, token included, is written to `<FINSENT_DATA_DIR>/clickhouse-read.url`
 * (mode 0600) while it listens, which is how `finsent query` finds it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { fileAccessIn, readBoundedBody, sameSecret, type ClickHouseClient, type Logger } from '@finsent/shared';

const MAX_BODY_BYTES = 1 << 20;
const FORMAT_CLAUSE = /\bFORMAT\s+[A-Za-z0-9_]+\s*;?\s*$/i;

export interface ReadEndpoint {
  /** Without credentials (for display); the URL file has them. */
  url: string;
  close(): Promise<void>;
}

/** Requests waiting for the one running query at most; more are answered 503 (busy) rather than queued in memory. */
const MAX_WAITING = 8;

/** Whether a request carries the token as HTTP basic auth (any user name, as ClickHouse clients send `default`). */
function authorised(req: IncomingMessage, token: string): boolean {
  const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  const password = m ? Buffer.from(m[1]!, 'base64').toString('utf8').split(':').slice(1).join(':') : '';
  return sameSecret(password, token);
}

/** The statement and its parameters from a request in ClickHouse's HTTP interface shape. */
export function readRequest(url: URL, body: string): { sql: string; params: Record<string, string> } {
  const sql = [url.searchParams.get('query') ?? '', body]
    .filter((s) => s.trim() !== '')
    .join('\n')
    .trim();
  const params: Record<string, string> = {};
  // Settings in the URL are ignored: the session is read-only, where changing any setting is refused.
  for (const [k, v] of url.searchParams) if (k.startsWith('param_')) params[k.slice('param_'.length)] = v;
  const format = url.searchParams.get('default_format') ?? 'TabSeparated';
  return { sql: FORMAT_CLAUSE.test(sql) ? sql : `${sql}\nFORMAT ${format}`, params };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const body = await readBoundedBody(req, MAX_BODY_BYTES);
  if (!body) throw Object.assign(new Error(`statement longer than ${MAX_BODY_BYTES} bytes`), { status: 413 });
  return body.toString('utf8');
}

/** `client` must be a read-only session (openEmbeddedReader), never the store's writer. Listens on loopback only. */
export async function startReadEndpoint(opts: {
  client: ClickHouseClient;
  port: number;
  urlFile?: string;
  logger: Logger;
}): Promise<ReadEndpoint> {
  const token = randomBytes(24).toString('hex');
  let queue: Promise<unknown> = Promise.resolve();
  let waiting = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/ping') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('Ok.\n');
    if (!authorised(req, token)) {
      return void res
        .writeHead(401, { 'www-authenticate': 'Basic realm="finsent"', 'x-clickhouse-exception-code': '516' })
        .end(
          'Code: 516. DB::Exception: the token of this endpoint is in <FINSENT_DATA_DIR>/clickhouse-read.url (AUTHENTICATION_FAILED)\n',
        );
    }
    if (url.pathname !== '/' || (req.method !== 'GET' && req.method !== 'POST'))
      return void res.writeHead(404).end('only GET or POST / and GET /ping\n');
    const { sql, params } = readRequest(url, req.method === 'POST' ? await readBody(req) : '');
    if (sql.replace(FORMAT_CLAUSE, '').trim() === '')
      return void res.writeHead(400).end('Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)\n');
    if (waiting >= MAX_WAITING)
      return void res.writeHead(503, { 'retry-after': '1' }).end('busy: queries run one at a time here\n');
    waiting++;
    const turn = queue.then(() => run(sql, params, res));
    queue = turn.catch(() => undefined).finally(() => waiting--);
    await turn;
  };
  const run = async (sql: string, params: Record<string, string>, res: ServerResponse) => {
    try {
      const refused = await fileAccessIn(opts.client, sql);
      if (refused)
        throw Object.assign(new Error(`refused on this read-only endpoint: ${refused}`), {
          code: '164',
          type: 'READONLY',
        });
      const rs = await opts.client.exec({ query: sql, query_params: params });
      res.writeHead(200, {
        'content-type': 'text/plain; charset=UTF-8',
        'x-clickhouse-format': FORMAT_CLAUSE.exec(sql)![0]
          .replace(/^FORMAT\s+/i, '')
          .replace(/[;\s]+$/, ''),
      });
      for await (const chunk of rs.stream) res.write(chunk);
      res.end();
    } catch (err) {
      // A read-only session answers 164 to anything that would change something: the client's 403.
      const e = err as { code?: string; type?: string; message?: string };
      // ClickHouse's own error shape, so HTTP clients report it as they would a server's.
      res.writeHead(e.code === '164' ? 403 : 500, {
        'content-type': 'text/plain; charset=UTF-8',
        ...(e.code ? { 'x-clickhouse-exception-code': e.code } : {}),
      });
      res.end(`Code: ${e.code ?? 0}. DB::Exception: ${e.message ?? String(err)} (${e.type ?? 'UNKNOWN_EXCEPTION'})\n`);
    }
  };
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      opts.logger.warn({ err }, 'read endpoint request failed');
      if (!res.headersSent) res.writeHead((err as { status?: number }).status ?? 500);
      res.end(`${(err as Error).message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // Loopback only, whatever OPS_HOST says: the endpoint runs analysts' SQL in the store's process.
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  if (opts.urlFile) writeFileSync(opts.urlFile, `http://default:${token}@127.0.0.1:${port}\n`, { mode: 0o600 });
  opts.logger.info({ url }, 'read-only SQL endpoint listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        if (opts.urlFile) rmSync(opts.urlFile, { force: true });
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
