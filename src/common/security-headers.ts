import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

interface HeaderChanges {
  set: [name: string, value: string | number | readonly string[]][];
  removed: string[];
}

/** What helmet does to a response, recorded once on a stand-in response. */
function recordHelmet(options: HelmetOptions): HeaderChanges {
  const changes: HeaderChanges = { set: [], removed: [] };
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      changes.set.push([name, value]);
      return response;
    },
    removeHeader(name: string) {
      changes.removed.push(name);
    },
  };
  let failure: unknown = new Error('helmet did not call next()');
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error) => {
    failure = error;
  });
  if (failure) throw failure instanceof Error ? failure : new Error('helmet failed');
  return changes;
}

/** A CSP directive computed per request (a nonce) cannot be worked out once. */
function hasPerRequestValues(options: HelmetOptions): boolean {
  const csp = options.contentSecurityPolicy;
  const directives = typeof csp === 'object' ? Object.values(csp.directives ?? {}) : [];
  return directives.some((value: unknown) =>
    (Array.isArray(value) ? value : [value]).some((part) => typeof part === 'function'),
  );
}

/**
 * helmet's headers, worked out once at start instead of by its dozen middlewares on every
 * request. Only for options whose headers are the same on every response (no CSP nonce).
 */
export function securityHeaders(options: HelmetOptions = {}): RequestHandler {
  if (hasPerRequestValues(options)) {
    throw new Error('Security headers: a CSP computed per request needs helmet() itself');
  }
  const { set, removed } = recordHelmet(options);
  return (_request: Request, response: Response, next: NextFunction) => {
    for (const [name, value] of set) response.setHeader(name, value);
    for (const name of removed) response.removeHeader(name);
    next();
  };
}
