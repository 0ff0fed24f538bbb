import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Request } from 'express';

/** What the request context knows of a request; set by the guards as the request goes. */
export interface ContextRequest extends Request {
  /** Its request id (X-Request-Id). */
  id?: string;
  /** Set by the AccessGuard on routes with `:ws`. */
  workspace?: { id: string };
  /** Set by the SCIM guard from the bearer token. */
  scimWorkspaceId?: string;
  /** Set by the AccessGuard: a signed-in user belongs to one workspace. */
  actor?: { kind: string; workspaceId?: string };
}

/** The request being served, for every log line written while serving it. */
const requests = new AsyncLocalStorage<ContextRequest>();

/** Runs `next` (the rest of the request's handling) inside the request's context. */
export function runInRequestContext(request: ContextRequest, next: () => void): void {
  requests.run(request, next);
}

export function currentRequest(): ContextRequest | undefined {
  return requests.getStore();
}

/** A request id from a client or a proxy is kept if it is short and made of safe characters. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:@+=-]{1,128}$/;

/** The incoming `X-Request-Id` if it is sane, else a new one. */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && SAFE_REQUEST_ID.test(header) ? header : randomUUID();
}

/** The route template (`/api/workspaces/:ws/members`), once the router has matched one. */
export function routeOf(request: Request): string | undefined {
  const path: unknown = (request.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? path : undefined;
}

/** The workspace a request acts on, once a guard has established it. */
export function workspaceOf(request: ContextRequest): string | undefined {
  return (
    request.workspace?.id ??
    request.scimWorkspaceId ??
    (request.actor?.kind === 'user' ? request.actor.workspaceId : undefined)
  );
}

/** The fields every log line of a request carries. */
export function requestFields(request: ContextRequest): Record<string, string> {
  const fields: Record<string, string> = {};
  if (request.id) fields.reqId = request.id;
  const route = routeOf(request);
  if (route) fields.route = route;
  const workspaceId = workspaceOf(request);
  if (workspaceId) fields.workspaceId = workspaceId;
  return fields;
}
