import type { LookupAddress } from 'node:dns';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { guardedLookup, postWebhook, type ResolveAll } from './webhook-sender.js';

const STRICT = { allowLoopback: false, allowPrivateNetworks: false };

/** A resolver answering `addresses` for every name. */
const resolvingTo =
  (...addresses: string[]): ResolveAll =>
  (_, callback) =>
    callback(
      null,
      addresses.map((address): LookupAddress => ({
        address,
        family: address.includes(':') ? 6 : 4,
      })),
    );

function lookup(resolveAll: ResolveAll, all: boolean) {
  return new Promise<{ error: Error | null; result: unknown[] }>((resolve) =>
    guardedLookup(STRICT, resolveAll)('hooks.example.com', { all }, (error, ...result) =>
      resolve({ error, result }),
    ),
  );
}

describe('guardedLookup (where a webhook connects)', () => {
  it('connects to a name that resolves to public addresses only', async () => {
    const resolveAll = resolvingTo('93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c');
    expect(await lookup(resolveAll, false)).toEqual({
      error: null,
      result: ['93.184.215.14', 4],
    });
    const all = await lookup(resolveAll, true);
    expect(all.error).toBeNull();
    expect(all.result[0]).toHaveLength(2);
  });

  it.each([
    ['a private address', ['10.0.0.7'], 'private network'],
    ['cloud metadata', ['169.254.169.254'], 'link-local'],
    ['loopback', ['127.0.0.1'], 'loopback'],
    ['a public and a private address', ['93.184.215.14', '192.168.1.1'], 'private network'],
  ])('refuses a name that resolves to %s (DNS rebinding)', async (_, addresses, reason) => {
    const { error } = await lookup(resolvingTo(...addresses), true);
    expect(error?.message).toContain('refused: hooks.example.com resolves to');
    expect(error?.message).toContain(reason);
  });
});

describe('postWebhook', () => {
  let server: http.Server;
  let port: number;
  const answers: { status: number; location?: string }[] = [];

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      request.resume();
      const { status, location } = answers.shift() ?? { status: 200 };
      // 0: never answer.
      if (status === 0) return;
      response.writeHead(status, location ? { location } : {}).end('x'.repeat(4000));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const post = (url: string, policy = { allowLoopback: true, allowPrivateNetworks: false }) =>
    postWebhook({ url, headers: {}, body: '{}' }, policy, 2000);

  it('POSTs to a name through the guarded lookup and keeps 512 bytes of the answer', async () => {
    const response = await post(`http://localhost:${port}/in`);
    expect(response).toMatchObject({ statusCode: 200, error: null });
    expect(response.excerpt).toHaveLength(512);
  });

  it('does not follow a redirect', async () => {
    answers.push({ status: 307, location: 'http://169.254.169.254/' });
    expect(await post(`http://127.0.0.1:${port}/in`)).toMatchObject({ statusCode: 307 });
  });

  it('gives up on an answer that does not come within the timeout', async () => {
    answers.push({ status: 0 });
    const response = await postWebhook(
      { url: `http://127.0.0.1:${port}/in`, headers: {}, body: '{}' },
      { allowLoopback: true, allowPrivateNetworks: false },
      300,
    );
    expect(response).toMatchObject({ statusCode: null, error: 'no answer within 300 ms' });
  });

  it('refuses loopback without WEBHOOK_ALLOW_LOOPBACK, before connecting', async () => {
    const response = await post(`http://127.0.0.1:${port}/in`, {
      allowLoopback: false,
      allowPrivateNetworks: false,
    });
    expect(response).toMatchObject({ statusCode: null, durationMs: 0 });
    expect(response.error).toContain('loopback');
  });
});
