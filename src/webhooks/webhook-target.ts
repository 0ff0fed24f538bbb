import { BlockList, isIP } from 'node:net';

/** Where a webhook may be sent: public addresses, and these when the configuration allows. */
export interface WebhookTargetPolicy {
  /** 127.0.0.0/8, ::1 and `localhost`, over http too (development and tests). */
  allowLoopback: boolean;
  /** 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7 (a deployment's own network), https only. */
  allowPrivateNetworks: boolean;
}

export type AddressKind = 'public' | 'loopback' | 'private' | 'link-local' | 'reserved';

function blockList(v4: string[], v6: string[]): BlockList {
  const list = new BlockList();
  for (const subnet of v4) {
    const [network, prefix] = subnet.split('/');
    list.addSubnet(network!, Number(prefix), 'ipv4');
  }
  for (const subnet of v6) {
    const [network, prefix] = subnet.split('/');
    list.addSubnet(network!, Number(prefix), 'ipv6');
  }
  return list;
}

const RANGES: [Exclude<AddressKind, 'public'>, BlockList][] = [
  ['loopback', blockList(['127.0.0.0/8'], ['::1/128'])],
  [
    'private',
    blockList(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'], ['fc00::/7']),
  ],
  // Cloud metadata services (169.254.169.254) live here: never allowed.
  ['link-local', blockList(['169.254.0.0/16'], ['fe80::/10'])],
  [
    'reserved',
    blockList(
      [
        '0.0.0.0/8',
        '192.0.0.0/24',
        '192.0.2.0/24',
        '198.18.0.0/15',
        '198.51.100.0/24',
        '203.0.113.0/24',
        '224.0.0.0/4',
        '240.0.0.0/4',
      ],
      // Unspecified, NAT64 (it reaches IPv4 addresses), documentation, multicast. IPv4-mapped
      // addresses (::ffff:a.b.c.d) are checked against the IPv4 ranges by BlockList itself.
      ['::/128', '64:ff9b::/96', '2001:db8::/32', 'ff00::/8'],
    ),
  ],
];

/** What kind of address `ip` (an IPv4 or IPv6 literal) is. */
export function addressKind(ip: string): AddressKind {
  const family = isIP(ip);
  if (family === 0) return 'reserved';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [kind, list] of RANGES) {
    if (list.check(ip, type)) return kind;
  }
  return 'public';
}

/** Why a connection to `ip` is refused, or null when it is allowed. */
export function addressRefusal(ip: string, policy: WebhookTargetPolicy): string | null {
  switch (addressKind(ip)) {
    case 'public':
      return null;
    case 'loopback':
      return policy.allowLoopback ? null : `${ip} is a loopback address`;
    case 'private':
      return policy.allowPrivateNetworks ? null : `${ip} is a private network address`;
    case 'link-local':
      return `${ip} is a link-local address`;
    case 'reserved':
      return `${ip} is not a routable public address`;
  }
}

const MAX_URL_LENGTH = 2000;

function isLocalhostName(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost');
}

/**
 * Why `raw` cannot be a webhook URL, or null when it can. A host name is checked again where it
 * resolves, at each delivery (webhook-sender.ts), so a name pointing at a refused address later
 * (DNS rebinding) is refused too.
 */
export function webhookUrlRefusal(raw: string, policy: WebhookTargetPolicy): string | null {
  if (raw.length > MAX_URL_LENGTH) return `the URL is longer than ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'the URL must be https://';
  if (url.username || url.password) return 'the URL must not carry a user name or password';
  if (url.hash) return 'the URL must not have a #fragment';
  // WHATWG URLs normalise IPv4 in any notation (127.1, 0x7f.1, 2130706433) to dotted decimal.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const loopbackName = isLocalhostName(host.toLowerCase());
  if (isIP(host) !== 0) {
    const refusal = addressRefusal(host, policy);
    if (refusal) return refusal;
  } else if (loopbackName && !policy.allowLoopback) {
    return `${host} is a loopback address`;
  }
  const loopback = loopbackName || (isIP(host) !== 0 && addressKind(host) === 'loopback');
  if (url.protocol === 'http:' && !loopback) return 'the URL must be https://';
  return null;
}
