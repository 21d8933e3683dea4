import { BlockList, isIP } from 'node:net';

/**
 * NO_PROXY as curl and Go read it: entries separated by commas or whitespace, case-insensitive, each one of
 *   `*`                          every host goes direct;
 *   `example.com`, `.example.com` (and `*.example.com`): that domain and every name under it (curl's reading;
 *                                Go would keep a leading-dot entry to subdomains only, curl and this both match the
 *                                domain itself too), never `badexample.com`;
 *   `10.1.2.3`, `::1`, `[::1]`   that IP literal;
 *   `10.0.0.0/8`, `fd00::/8`     every IP literal in the range (Go's httpproxy, curl ≥ 7.86);
 *   any of the above with `:PORT` (`registry.local:5000`, `[::1]:5000`): only requests to that port.
 * Host names are compared as text: nothing is resolved, so `localhost` does not cover `127.0.0.1`, and loopback is not
 * bypassed unless listed (curl's behaviour).
 */
export interface NoProxy {
  /** Whether a request to `url` goes direct. */
  bypasses(url: string | URL): boolean;
  /** The entries as read, for messages. */
  readonly entries: readonly string[];
}

type Entry =
  | { kind: 'all' }
  | { kind: 'domain'; name: string; port?: number }
  | { kind: 'ip'; list: BlockList; family: 'ipv4' | 'ipv6'; port?: number };

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

export function parseNoProxy(value: string | undefined): NoProxy {
  const raw = (value ?? '')
    .split(/[\s,]+/)
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '');
  const entries = raw.flatMap((e) => {
    const parsed = parseEntry(e);
    return parsed ? [parsed] : [];
  });
  return {
    entries: raw,
    bypasses: (url) => {
      const u = typeof url === 'string' ? new URL(url) : url;
      const host = u.hostname
        .toLowerCase()
        .replace(/^\[(.*)\]$/, '$1')
        .replace(/\.$/, '');
      const port = u.port !== '' ? Number(u.port) : (DEFAULT_PORTS[u.protocol] ?? 0);
      return entries.some((e) => matches(e, host, port));
    },
  };
}

function matches(e: Entry, host: string, port: number): boolean {
  if (e.kind === 'all') return true;
  if (e.port !== undefined && e.port !== port) return false;
  if (e.kind === 'domain') return host === e.name || host.endsWith(`.${e.name}`);
  // Only within one family: Node's BlockList would let `::/0` cover 127.0.0.1 (as ::ffff:127.0.0.1), Go's IPNet does not.
  const family = isIP(host) === 4 ? 'ipv4' : isIP(host) === 6 ? 'ipv6' : undefined;
  return family === e.family && e.list.check(host, family);
}

/** One entry; undefined for one that can match nothing (`10.0.0.0/99`, `:80`), which is skipped as curl skips it. */
function parseEntry(e: string): Entry | undefined {
  if (e === '*') return { kind: 'all' };
  let host = e;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(e);
  if (bracketed) {
    host = bracketed[1] ?? '';
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (isIP(e) === 0) {
    // `host:port` or `10.1.2.3:5000`; a bare IPv6 literal (`::1`) has colons too, hence the isIP check first.
    const withPort = /^(.+):(\d+)$/.exec(e);
    if (withPort && !withPort[1]?.includes(':')) {
      host = withPort[1] ?? '';
      port = Number(withPort[2]);
    }
  }
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  const at = port !== undefined ? { port } : {};
  const cidr = /^(.+)\/(\d{1,3})$/.exec(host);
  if (cidr) {
    const [, net = '', bits] = cidr;
    const family = isIP(net);
    const prefix = Number(bits);
    if (family === 0 || prefix > (family === 4 ? 32 : 128)) return undefined;
    const list = new BlockList();
    list.addSubnet(net, prefix, familyName(family));
    return { kind: 'ip', list, family: familyName(family), ...at };
  }
  const family = isIP(host);
  if (family !== 0) {
    const list = new BlockList();
    list.addAddress(host, familyName(family));
    return { kind: 'ip', list, family: familyName(family), ...at };
  }
  const name = host.replace(/^\*?\./, '').replace(/\.$/, '');
  if (name === '' || name.includes('/') || name.includes(':')) return undefined;
  return { kind: 'domain', name, ...at };
}

const familyName = (family: number): 'ipv4' | 'ipv6' => (family === 4 ? 'ipv4' : 'ipv6');
