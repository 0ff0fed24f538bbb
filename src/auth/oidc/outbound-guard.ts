import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import {
  addressKind,
  addressRefusal,
  type WebhookTargetPolicy,
} from '../../webhooks/webhook-target.js';
import { guardedLookup } from '../../webhooks/webhook-sender.js';
import { CONNECT_LOOKUP, type OidcFetch } from './oidc-fetch.js';

/** Where a workspace's OpenID provider may be reached: public addresses, loopback if allowed. */
export type OutboundPolicy = WebhookTargetPolicy;

/**
 * `fetch`, refusing URLs an admin-supplied provider (its issuer, or the endpoints its discovery
 * document names) must not make the server call: link-local (cloud metadata), reserved and
 * private addresses, loopback unless the policy allows it, and plain http except to loopback.
 * A host name is resolved and every address checked before the request, for a clear refusal;
 * the request itself carries a lookup that checks again where it connects (CONNECT_LOOKUP), so
 * a name that changes its answer in between (DNS rebinding) is refused there too.
 */
export function guardedFetch(inner: OidcFetch, policy: OutboundPolicy): OidcFetch {
  const lookup = guardedLookup(policy);
  return async (url, options) => {
    const refusal = await outboundRefusal(url, policy);
    if (refusal) throw new OutboundRefusedError(`${url}: ${refusal}`);
    return inner(url, { ...options, [CONNECT_LOOKUP]: lookup } as typeof options);
  };
}

export class OutboundRefusedError extends Error {
  readonly code = 'OIDC_OUTBOUND_REFUSED';
}

async function outboundRefusal(raw: string, policy: OutboundPolicy): Promise<string | null> {
  const url = new URL(raw);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  if (isIP(host) !== 0) addresses = [host];
  else if (host === 'localhost' || host.endsWith('.localhost')) addresses = ['127.0.0.1'];
  else {
    try {
      addresses = (await lookup(host, { all: true })).map((entry) => entry.address);
    } catch {
      return null; // unresolvable: the request fails by itself
    }
  }
  for (const address of addresses) {
    const refusal = addressRefusal(address, policy);
    if (refusal) return refusal;
  }
  const loopback = addresses.every((address) => addressKind(address) === 'loopback');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    return 'only https is allowed';
  }
  return null;
}
