import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { addressRefusal, webhookUrlRefusal, type WebhookTargetPolicy } from './webhook-target.js';

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The outcome of one POST: a status, or the error that prevented one. */
export interface WebhookResponse {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** The start of the response body, for the delivery log. */
  excerpt: string | null;
}

const EXCERPT_BYTES = 512;

/** Resolves every address of a name (node:dns lookup with `all: true`). */
export type ResolveAll = (
  hostname: string,
  callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const systemResolveAll: ResolveAll = (hostname, callback) =>
  dnsLookup(hostname, { all: true }, callback);

/**
 * The lookup the connection uses: it refuses a name that resolves to an address the policy
 * refuses (SSRF, DNS rebinding), and connects to the very addresses it checked.
 */
export function guardedLookup(
  policy: WebhookTargetPolicy,
  resolveAll: ResolveAll = systemResolveAll,
): LookupFunction {
  return ((
    hostname: string,
    options: { all?: boolean },
    callback: (...args: unknown[]) => void,
  ) => {
    resolveAll(hostname, (error, addresses) => {
      if (error) return callback(error);
      for (const { address } of addresses) {
        const refusal = addressRefusal(address, policy);
        if (refusal) {
          return callback(
            Object.assign(new Error(`refused: ${hostname} resolves to ${address}: ${refusal}`), {
              code: 'WEBHOOK_TARGET_REFUSED',
            }),
          );
        }
      }
      if (options.all) return callback(null, addresses);
      const [first] = addresses;
      if (!first) return callback(new Error(`${hostname} has no address`));
      return callback(null, first.address, first.family);
    });
  }) as LookupFunction;
}

/**
 * POSTs a webhook: the whole exchange bounded by `timeoutMs`, redirects never followed (a 3xx is
 * a failed attempt), the target checked against the policy where it resolves, at most a short
 * excerpt of the answer read.
 */
export function postWebhook(
  request: WebhookRequest,
  policy: WebhookTargetPolicy,
  timeoutMs: number,
): Promise<WebhookResponse> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const refusal = webhookUrlRefusal(request.url, policy);
  if (refusal) {
    return Promise.resolve({
      statusCode: null,
      error: `refused: ${refusal}`,
      durationMs: 0,
      excerpt: null,
    });
  }
  const url = new URL(request.url);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (response: Omit<WebhookResponse, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      outgoing.destroy();
      resolve({ ...response, durationMs: elapsed() });
    };
    const outgoing = client.request(
      url,
      {
        method: 'POST',
        agent: false,
        lookup: guardedLookup(policy),
        headers: {
          ...request.headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(request.body)),
          'user-agent': 'Gatehouse-Webhooks/1',
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        let length = 0;
        const done = () =>
          finish({
            statusCode: response.statusCode ?? null,
            error: null,
            excerpt: Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8') || null,
          });
        response.on('data', (chunk: Buffer) => {
          if (length < EXCERPT_BYTES) chunks.push(chunk);
          length += chunk.length;
          // Enough for the log: the rest of the answer is not read.
          if (length >= EXCERPT_BYTES) done();
        });
        response.on('end', done);
        response.on('error', done);
      },
    );
    const deadline = setTimeout(
      () => finish({ statusCode: null, error: `no answer within ${timeoutMs} ms`, excerpt: null }),
      timeoutMs,
    );
    outgoing.on('error', (error) =>
      finish({ statusCode: null, error: error.message, excerpt: null }),
    );
    outgoing.end(request.body);
  });
}
