import type { Request } from 'express';
import { routeOf } from './request-context.js';

export const REDACTED = '[REDACTED]';

/**
 * Where secrets may sit in a logged object: credentials in headers, and passwords, tokens and
 * SAML messages in bodies, at the top or up to two levels down.
 */
const SECRET_KEYS = [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'secret',
  'clientSecret',
  'SAMLRequest',
  'SAMLResponse',
];
export const REDACT_PATHS = [
  ...['headers', 'req.headers', 'request.headers'].flatMap((headers) => [
    `${headers}.authorization`,
    `${headers}.cookie`,
    `${headers}["x-internal-token"]`,
  ]),
  ...['headers', 'res.headers', 'response.headers'].map((headers) => `${headers}["set-cookie"]`),
  ...SECRET_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
];

/** Route parameters that are secrets themselves (an invite's token, a SAML provider's token). */
const SECRET_PARAMS = new Set(['token', 'providerToken']);

/** A path segment that looks like an opaque token (long, base64url); UUIDs are ids and stay. */
const OPAQUE_SEGMENT =
  /^(?![0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$)[A-Za-z0-9_.~%-]{20,}$/i;

/**
 * The request's URL as a log may show it: query values hidden (SAML and OIDC messages, codes,
 * states), secret route parameters hidden, and, on a path no route matched, every segment that
 * looks like a token.
 */
export function loggableUrl(request: Request): string {
  const url = request.originalUrl || request.url;
  const queryStart = url.indexOf('?');
  const path = queryStart < 0 ? url : url.slice(0, queryStart);
  const query = queryStart < 0 ? '' : url.slice(queryStart + 1);
  const route = routeOf(request);
  const shownPath = route
    ? route.replace(/:(\w+)/g, (whole: string, name: string) => {
        const value: unknown = (request.params as Record<string, unknown> | undefined)?.[name];
        if (SECRET_PARAMS.has(name) || typeof value !== 'string') return REDACTED;
        return encodeURIComponent(value);
      })
    : path
        .split('/')
        .map((segment) => (OPAQUE_SEGMENT.test(segment) ? REDACTED : segment))
        .join('/');
  if (!query) return shownPath;
  const names = query
    .split('&')
    .filter(Boolean)
    .map((pair) => `${pair.split('=')[0]}=${REDACTED}`);
  return `${shownPath}?${names.join('&')}`;
}
