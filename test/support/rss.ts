/** Builds RSS 2.0 documents and serves them from a local HTTP server, as a news site would. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FeedItem {
  title: string;
  link: string;
  description: string;
  pubDate: Date;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function rss(title: string, items: FeedItem[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>${esc(title)}</title><link>https://fixtures.example.com/</link><description>test feed</description>
${items.map((i) => `<item><title>${esc(i.title)}</title><link>${esc(i.link)}</link><guid>${esc(i.link)}</guid><description>${esc(i.description)}</description><pubDate>${i.pubDate.toUTCString()}</pubDate></item>`).join('\n')}
</channel></rss>`;
}

export async function serveFeeds(
  routes: Record<string, { body: string | Buffer; contentType?: string; status?: number }>,
) {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    const r = routes[req.url ?? ''];
    if (!r) return void res.writeHead(404).end('not found');
    res
      .writeHead(r.status ?? 200, { 'content-type': r.contentType ?? 'application/rss+xml; charset=utf-8' })
      .end(r.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (path: string) => `${base}${path}`,
    get hits() {
      return hits;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
