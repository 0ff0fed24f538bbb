import type { Request } from 'express';
import { CommonException } from './app-exception.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cookie-authenticated writes must not come from another site's page: SameSite=Lax already keeps
 * the cookie off cross-site POSTs; this also refuses other origins of the same site. A request
 * without an Origin header is not a browser's cross-origin request.
 */
export function assertSameOriginWrite(request: Request, allowedOrigins: readonly string[]): void {
  if (!isSameOriginWrite(request, allowedOrigins)) {
    throw new CommonException(
      'FORBIDDEN',
      `Requests from ${request.headers.origin} may not use this session.`,
    );
  }
}

/** The rule of assertSameOriginWrite, for callers that refuse with their own error. */
export function isSameOriginWrite(request: Request, allowedOrigins: readonly string[]): boolean {
  if (SAFE_METHODS.has(request.method)) return true;
  const origin = request.headers.origin;
  return origin === undefined || allowedOrigins.includes(origin);
}
