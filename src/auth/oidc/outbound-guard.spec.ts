import type { OidcFetch } from './oidc-fetch.js';
import { guardedFetch, OutboundRefusedError } from './outbound-guard.js';

const reached: string[] = [];
const inner: OidcFetch = (url) => {
  reached.push(url);
  return Promise.resolve(new Response('ok'));
};
const production = guardedFetch(inner, { allowLoopback: false, allowPrivateNetworks: false });
const development = guardedFetch(inner, { allowLoopback: true, allowPrivateNetworks: false });
const GET = {
  method: 'GET',
  headers: {},
  redirect: 'manual',
} as unknown as Parameters<OidcFetch>[1];

beforeEach(() => {
  reached.length = 0;
});

describe('guardedFetch (requests to a provider a workspace admin chose)', () => {
  it.each([
    ['the cloud metadata service', 'http://169.254.169.254/latest/meta-data'],
    ['a link-local https address', 'https://169.254.10.10/.well-known/openid-configuration'],
    ['a private network', 'https://10.1.2.3/.well-known/openid-configuration'],
    ['a private network (IPv6)', 'https://[fd00::1]/token'],
    ['a reserved address', 'https://0.0.0.0/token'],
    ['loopback in production', 'https://127.0.0.1:8443/token'],
    ['localhost in production', 'https://localhost/token'],
    ['loopback in another notation', 'https://0x7f.1/token'],
  ])('refuses %s, without calling it', async (_, url) => {
    await expect(production(url, GET)).rejects.toBeInstanceOf(OutboundRefusedError);
    expect(reached).toEqual([]);
  });

  it('refuses the metadata service and private networks outside production too', async () => {
    await expect(development('http://169.254.169.254/', GET)).rejects.toThrow(/link-local/);
    await expect(development('https://192.168.1.1/', GET)).rejects.toThrow(/private/);
    expect(reached).toEqual([]);
  });

  it('lets loopback through outside production, over http too', async () => {
    await development('http://127.0.0.1:9999/.well-known/openid-configuration', GET);
    await development('https://localhost/token', GET);
    expect(reached).toHaveLength(2);
  });

  it('refuses plain http to anything but loopback', async () => {
    await expect(production('http://93.184.216.34/token', GET)).rejects.toThrow(/https/);
    expect(reached).toEqual([]);
  });

  it('lets a public https address through', async () => {
    await production('https://93.184.216.34/.well-known/openid-configuration', GET);
    expect(reached).toEqual(['https://93.184.216.34/.well-known/openid-configuration']);
  });
});
