/**
 * Where a feed may be fetched from. A feed URL (or a redirect it answers with) is untrusted: pointed at
 * 127.0.0.1:9401/metrics, a cloud metadata address or a host on the private network, the fetch would hand the
 * body to the dead-letter topic. Only http(s), and no loopback, private, link-local, CGNAT, multicast or reserved
 * address, checked on every hop and on the addresses the name resolves to when the socket connects (not on an
 * earlier lookup that a short-TTL DNS answer could change), unless the host is explicitly allowed.
 */
import { lookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent } from 'undici';
import { FinsentError } from '@finsent/shared';

const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  BLOCKED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['2001:db8::', 32],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv6');
}

/** Whether an IP address is one a feed must not reach (IPv4-mapped IPv6 addresses are judged as IPv4). */
export function isForbiddenAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return BLOCKED.check(mapped, 'ipv4');
  const family = isIP(address);
  return family === 0 || BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const forbidden = (url: string, why: string) => new FinsentError('FINSENT_ERR_FEED_FORBIDDEN_TARGET', `${url}: ${why}`);

/** Refuses a URL (a feed's or a redirect's) whose scheme is not http(s) or whose literal IP address is forbidden. */
export function checkFeedUrl(url: URL, allowedHosts: ReadonlySet<string>): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw forbidden(url.href.slice(0, 200), `scheme ${url.protocol} is not http(s)`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (allowedHosts.has(host.toLowerCase())) return;
  if (isIP(host) && isForbiddenAddress(host))
    throw forbidden(
      url.href,
      `${host} is a loopback, private or reserved address (allow it with FEED_ALLOW_PRIVATE_HOSTS)`,
    );
}

/**
 * An HTTP agent whose every connection resolves names itself and refuses forbidden addresses, so a name that
 * resolves to 127.0.0.1 (or changes to it between two lookups) is caught where it matters.
 */
export function guardedAgent(allowedHosts: ReadonlySet<string>): Agent {
  return new Agent({
    connect: {
      lookup(hostname, options, callback) {
        lookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
          if (err) return callback(err, []);
          const bad = allowedHosts.has(hostname.toLowerCase())
            ? undefined
            : addresses.find((a) => isForbiddenAddress(a.address));
          if (bad)
            return callback(
              forbidden(hostname, `resolves to ${bad.address}, a loopback, private or reserved address`),
              [],
            );
          if ((options as { all?: boolean }).all) return callback(null, addresses);
          const first = addresses[0]!;
          (callback as unknown as (e: null, address: string, family: number) => void)(
            null,
            first.address,
            first.family,
          );
        });
      },
    },
  });
}
