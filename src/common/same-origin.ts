import type { Request } from 'express';
import { CommonException } from './app-exception.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Cookie-authenticated writes must not come from another site's page: SameSite=Lax already keeps
 * the cookie off cross-site POSTs; this also refuses other origins of the same site. A request
 * without an Origin header is not a browser's cross-origin request.
 */
export function assertSameOriginWrite(request: Request, allowedOrigins: readonly string[]): void {
  if (SAFE_METHODS.has(request.method)) return;
  const origin = request.headers.origin;
  if (origin !== undefined && !allowedOrigins.includes(origin)) {
    throw new CommonException('FORBIDDEN', `Requests from ${origin} may not use this session.`);
  }
}
