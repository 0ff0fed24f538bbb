import { Resolver } from 'node:dns/promises';

/** The DNS look-up domain verification needs; injected so tests need no network. */
export interface DnsResolver {
  resolveTxt(name: string): Promise<string[][]>;
}

export const DNS_RESOLVER = Symbol('DNS_RESOLVER');

export const systemDnsResolverProvider = {
  provide: DNS_RESOLVER,
  useFactory: (): DnsResolver => {
    const resolver = new Resolver({ timeout: 5000, tries: 2 });
    return { resolveTxt: (name) => resolver.resolveTxt(name) };
  },
};
