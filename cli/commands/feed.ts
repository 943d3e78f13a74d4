/**
 * finsent feed <url-or-file>: a dry run for operators. Fetches (or reads) one feed and prints the
 * items exactly as ingest would publish them, as NDJSON on stdout; publishes nothing.
 */
import { readFile } from 'node:fs/promises';
import { errorMessage } from '@finsent/shared';
import { TickerExtractor, fetchBounded, normaliseEntry, parseFeed } from '@finsent/ingest';
import { parseCommand } from '../args.js';

const HELP = `Usage: finsent feed <url-or-file> [--timeout-ms N] [--max-bytes N] [--allow-private]

Fetches an RSS/Atom/RDF feed over HTTP(S), or reads it from a file, and prints each item normalised
(id, text, tickers, times) as one JSON object per line on stdout. Nothing is published.
Entries ingest would reject are reported on stderr. Exit status: 0 on success, 1 when the feed
cannot be fetched or parsed, 2 on a usage error.
  --timeout-ms N   HTTP timeout (default 10000)
  --max-bytes N    largest body accepted (default 5242880)
  --allow-private  let the URL's own host be loopback or private (refused by default, like ingest;
                   redirects to other such hosts stay refused)
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand('feed', HELP, {
    args: argv,
    allowPositionals: true,
    options: {
      'timeout-ms': { type: 'string' },
      'max-bytes': { type: 'string' },
      'allow-private': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1)
    return (process.stderr.write(`finsent feed: give exactly one feed URL or file\n\n${HELP}`), 2);
  const target = positionals[0]!;
  // `finsent feed URL | head` closes stdout early: that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  const isUrl = /^https?:\/\//i.test(target);
  try {
    const { body, contentType } = isUrl
      ? await fetchFeed(
          target,
          Number(values['timeout-ms'] ?? 10_000),
          Number(values['max-bytes'] ?? 5 * 1024 * 1024),
          values['allow-private'] ?? false,
        )
      : { body: await readFile(target), contentType: '' };
    const source = isUrl ? `rss:${new URL(target).hostname}` : `file:${target.split('/').pop()}`;
    const { entries } = await parseFeed(body, contentType, source);
    const tickers = TickerExtractor.fromFile();
    let printed = 0;
    for (const [i, entry] of entries.entries()) {
      const r = normaliseEntry(entry, tickers);
      if (r.ok) {
        process.stdout.write(`${JSON.stringify(r.item)}\n`);
        printed++;
      } else {
        process.stderr.write(`finsent feed: entry ${i + 1} would be dead-lettered: ${r.reason}\n`);
      }
    }
    process.stderr.write(`finsent feed: ${printed} of ${entries.length} entries valid\n`);
    return 0;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const message = errorMessage(err);
    process.stderr.write(
      `finsent feed: ${message.includes(target) ? '' : `${target}: `}${message}${typeof code === 'string' ? ` [${code}]` : ''}\n`,
    );
    return 1;
  }
}

async function fetchFeed(
  url: string,
  timeoutMs: number,
  maxBytes: number,
  allowPrivate: boolean,
): Promise<{ body: Buffer; contentType: string }> {
  const allowPrivateHosts = new Set(allowPrivate ? [new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase()] : []);
  const res = await fetchBounded(url, {
    timeoutMs,
    maxBytes,
    maxRedirects: 5,
    userAgent: 'finsent-feed/0.1 (dry run)',
    allowPrivateHosts,
  });
  // No validators were sent, so the server has no reason to answer 304; treat one as empty.
  return res.status === 'ok' ? res : { body: Buffer.alloc(0), contentType: '' };
}
