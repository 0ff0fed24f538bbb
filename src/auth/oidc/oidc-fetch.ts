import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Provider } from '@nestjs/common';
import type { CustomFetch, CustomFetchOptions } from 'openid-client';

/**
 * The fetch that openid-client uses for every request to the OpenID provider (discovery, token
 * endpoint, signing keys). Production uses the global fetch; tests replace it to route
 * `https://login.microsoftonline.com/...` to a local provider.
 */
export const OIDC_FETCH = Symbol('OIDC_FETCH');

export type OidcFetch = CustomFetch;

/**
 * Options key of a lookup the connection must resolve its host with (outbound-guard.ts): the
 * address checked is the address connected to, so a name that changes its answer between a
 * check and the connection (DNS rebinding) cannot reach what the check refused.
 */
export const CONNECT_LOOKUP = Symbol('CONNECT_LOOKUP');

export type OidcFetchOptions = CustomFetchOptions & { [CONNECT_LOOKUP]?: LookupFunction };

/** The largest answer read from a provider (discovery documents and key sets are a few KiB). */
export const MAX_OIDC_ANSWER_BYTES = 1024 * 1024;

export const defaultOidcFetch: OidcFetch = (url, options: OidcFetchOptions) => {
  const lookup = options[CONNECT_LOOKUP];
  // CustomFetchOptions is what fetch takes (its Uint8Array body type is only wider on paper).
  return lookup ? fetchThrough(lookup, url, options) : fetch(url, options as RequestInit);
};

export const oidcFetchProvider: Provider = { provide: OIDC_FETCH, useValue: defaultOidcFetch };

/**
 * A request with node:http(s), its host resolved by `lookup` (the global fetch takes no lookup):
 * redirects never followed (openid-client asks for `manual`), the answer read up to
 * MAX_OIDC_ANSWER_BYTES, the caller's signal (openid-client's timeout) honoured.
 */
async function fetchThrough(
  lookup: LookupFunction,
  url: string,
  options: CustomFetchOptions,
): Promise<Response> {
  const target = new URL(url);
  const body = await bodyBytes(options.body);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Response>((resolve, reject) => {
    const outgoing = request(
      target,
      {
        method: options.method,
        headers: {
          ...options.headers,
          ...(body && { 'content-length': String(body.byteLength) }),
        },
        lookup,
        agent: false,
        signal: options.signal,
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        let length = 0;
        incoming.on('data', (chunk: Buffer) => {
          length += chunk.byteLength;
          if (length > MAX_OIDC_ANSWER_BYTES) {
            incoming.destroy(
              new Error(`${url}: the answer exceeds ${MAX_OIDC_ANSWER_BYTES} bytes`),
            );
            return;
          }
          chunks.push(chunk);
        });
        incoming.on('error', reject);
        incoming.on('end', () => {
          const status = incoming.statusCode ?? 502;
          const headers = new Headers();
          for (const [name, value] of Object.entries(incoming.headers)) {
            for (const one of [value ?? []].flat()) headers.append(name, one);
          }
          const empty = status === 204 || status === 304 || options.method === 'HEAD';
          resolve(
            new Response(empty ? null : Buffer.concat(chunks), {
              status,
              statusText: incoming.statusMessage,
              headers,
            }),
          );
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

async function bodyBytes(body: CustomFetchOptions['body']): Promise<Buffer | undefined> {
  if (body === null || body === undefined) return undefined;
  if (typeof body === 'string' || body instanceof URLSearchParams) {
    return Buffer.from(body.toString());
  }
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(new Uint8Array(body));
  return Buffer.from(await new Response(body as ReadableStream<Uint8Array>).arrayBuffer());
}
