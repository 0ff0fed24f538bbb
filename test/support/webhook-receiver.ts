import { createHmac, timingSafeEqual } from 'node:crypto';
import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  /** The raw body, as signed. */
  body: string;
  json: {
    id: string;
    type: string;
    createdAt: string;
    workspaceId: string;
    actor: Record<string, unknown>;
    target: { type: string | null; id: string | null };
    data: {
      action: string;
      before: Record<string, unknown> | null;
      after: Record<string, unknown> | null;
      details: Record<string, unknown> | null;
    };
  };
  /** When it arrived (Date.now()). */
  at: number;
}

/** The status to answer, a body too, or 'hold' to keep the request open (never answered). */
export type Answer = number | { status: number; body: string } | 'hold';

/** A real HTTP server on 127.0.0.1 that records the webhooks POSTed to it. */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** Decides the answer to the n-th request (0-based); 200 unless set. */
  answer: (index: number, webhook: ReceivedWebhook) => Answer = () => 200;
  private readonly held: ServerResponse[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(path = '/hooks/gatehouse'): Promise<WebhookReceiver> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const receiver = new WebhookReceiver(server, `http://127.0.0.1:${port}${path}`);
    server.on('request', (request: http.IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => receiver.handle(request.headers, Buffer.concat(chunks), response));
    });
    return receiver;
  }

  private handle(headers: IncomingHttpHeaders, raw: Buffer, response: ServerResponse): void {
    const body = raw.toString('utf8');
    const webhook: ReceivedWebhook = {
      headers,
      body,
      json: JSON.parse(body) as ReceivedWebhook['json'],
      at: Date.now(),
    };
    const index = this.received.length;
    this.received.push(webhook);
    for (const wake of this.waiters) wake();
    const answer = this.answer(index, webhook);
    if (answer === 'hold') {
      this.held.push(response);
      return;
    }
    const { status, body: text } =
      typeof answer === 'number' ? { status: answer, body: '' } : answer;
    response.writeHead(status, { 'content-type': 'text/plain' }).end(text);
  }

  /** Resolves with the webhooks received once there are at least `count`. */
  async waitFor(count: number, timeoutMs = 20_000): Promise<ReceivedWebhook[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `expected ${count} webhooks within ${timeoutMs} ms, got ${this.received.length}: ${this.received.map((w) => w.json.type).join(', ')}`,
        );
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 200));
        this.waiters.add(wake);
      });
    }
    return this.received;
  }

  async close(): Promise<void> {
    for (const response of this.held) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Checks a webhook's `Gatehouse-Signature: t=<unix>,v1=<hex>` as a receiver would, with nothing
 * from Gatehouse's code: HMAC-SHA256 keyed with the secret over `<t>.<raw body>`.
 */
export function signatureIsValid(secret: string, webhook: ReceivedWebhook): boolean {
  const header = webhook.headers['gatehouse-signature'];
  const match = typeof header === 'string' ? /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) : null;
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${webhook.body}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'hex'));
}
