import { moduleException } from '../common/app-exception.js';

/** Every failure the Webhooks module reports, with its HTTP status. */
export const WebhookErrorStatus = {
  WEBHOOK_NOT_FOUND: 404,
  /** Not https, credentials in it, or a target address that is refused (SSRF). */
  WEBHOOK_URL_NOT_ALLOWED: 400,
  WEBHOOK_LIMIT_REACHED: 409,
} as const satisfies Record<string, number>;
export type WebhookErrorCode = keyof typeof WebhookErrorStatus;

export class WebhookException extends moduleException(WebhookErrorStatus) {}

export const webhookNotFound = () =>
  new WebhookException('WEBHOOK_NOT_FOUND', 'No such webhook endpoint in this workspace.');
