import { createHmac } from 'node:crypto';
import { randomToken } from '../common/secret-tokens.js';

/** The header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256>` (docs/webhooks.md). */
export const SIGNATURE_HEADER = 'Gatehouse-Signature';
export const TIMESTAMP_HEADER = 'Gatehouse-Timestamp';

/** A new signing secret, shown once: `whsec_` and 256 random bits. */
export function newWebhookSecret(): string {
  return `whsec_${randomToken(32)}`;
}

/** HMAC-SHA256 keyed with the secret (its UTF-8 bytes) over `<timestamp>.<body>`, in hex. */
export function webhookSignature(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export function signatureHeader(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${webhookSignature(secret, timestamp, body)}`;
}
