import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { guardedLookup, type ResolveAll } from '../../webhooks/webhook-sender.js';
import {
  CONNECT_LOOKUP,
  defaultOidcFetch,
  MAX_OIDC_ANSWER_BYTES,
  type OidcFetch,
  type OidcFetchOptions,
} from './oidc-fetch.js';
import { guardedFetch } from './outbound-guard.js';

/** A name that resolves to loopback, as a rebinding name does after the first check. */
const toLoopback: ResolveAll = (_host, callback) =>
  callback(null, [{ address: '127.0.0.1', family: 4 }]);
const development = { allowLoopback: true, allowPrivateNetworks: false };
const production = { allowLoopback: false, allowPrivateNetworks: false };

let server: Server;
let port = 0;
const received: { method?: string; url?: string; body: string; type?: string }[] = [];
let answer: (req: IncomingMessage, res: ServerResponse) => void;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, body, type: req.headers['content-type'] });
      answer(req, res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  received.length = 0;
  answer = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"a":1}');
});

const options = (lookup: ReturnType<typeof guardedLookup>, more: Partial<OidcFetchOptions> = {}) =>
  ({
    method: 'GET',
    headers: { accept: 'application/json' },
    redirect: 'manual',
    body: undefined,
    [CONNECT_LOOKUP]: lookup,
    ...more,
  }) as OidcFetchOptions;

describe('defaultOidcFetch with a connect-time lookup (requests to a provider an admin chose)', () => {
  it('connects to the address its lookup allowed and answers a fetch Response', async () => {
    const res = await defaultOidcFetch(
      `http://provider.test:${port}/token`,
      options(guardedLookup(development, toLoopback), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: 'c' }),
      }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ a: 1 });
    expect(received).toEqual([
      {
        method: 'POST',
        url: '/token',
        body: 'grant_type=authorization_code&code=c',
        type: 'application/x-www-form-urlencoded',
      },
    ]);
  });

  it('refuses where it connects when the name now resolves to a refused address (DNS rebinding)', async () => {
    await expect(
      defaultOidcFetch(
        `http://provider.test:${port}/.well-known/openid-configuration`,
        options(guardedLookup(production, toLoopback)),
      ),
    ).rejects.toThrow(/refused: provider\.test resolves to 127\.0\.0\.1/);
    expect(received).toEqual([]);
  });

  it('never follows a redirect: the 3xx is the answer', async () => {
    answer = (_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
    const res = await defaultOidcFetch(
      `http://provider.test:${port}/jwks`,
      options(guardedLookup(development, toLoopback)),
    );
    expect([res.status, res.headers.get('location')]).toEqual([302, 'http://169.254.169.254/']);
    expect(received).toHaveLength(1);
  });

  it(`refuses an answer over ${MAX_OIDC_ANSWER_BYTES} bytes`, async () => {
    answer = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(Buffer.alloc(MAX_OIDC_ANSWER_BYTES + 1, 32));
    };
    await expect(
      defaultOidcFetch(
        `http://provider.test:${port}/jwks`,
        options(guardedLookup(development, toLoopback)),
      ),
    ).rejects.toThrow(/exceeds/);
  });

  it('stops at the caller signal (openid-client timeout)', async () => {
    answer = () => undefined; // never answers
    await expect(
      defaultOidcFetch(
        `http://provider.test:${port}/slow`,
        options(guardedLookup(development, toLoopback), { signal: AbortSignal.timeout(200) }),
      ),
    ).rejects.toThrow();
  });
});

describe('guardedFetch', () => {
  it('hands the request a connect-time lookup that applies its policy', async () => {
    const seen: OidcFetchOptions[] = [];
    const inner: OidcFetch = (_url, opts) => {
      seen.push(opts);
      return Promise.resolve(new Response('ok'));
    };
    await guardedFetch(inner, development)(
      `http://127.0.0.1:${port}/x`,
      options(undefined as never),
    );
    const lookup = seen[0]?.[CONNECT_LOOKUP];
    expect(typeof lookup).toBe('function');
    const refused = await new Promise<Error | null>((resolve) =>
      lookup!('169.254.169.254', {}, (error) => resolve(error)),
    );
    expect(refused?.message).toMatch(/refused/);
  });
});
