import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { MemberRole } from './entities/membership.entity.js';
import type { Workspace } from './entities/workspace.entity.js';
import type { AuditChannel } from './entities/audit-event.entity.js';

export interface InternalActor {
  kind: 'internal';
}
export interface UserActor {
  kind: 'user';
  userId: string;
  email: string;
  workspaceId: string;
  role: MemberRole;
  sessionId: string;
}
/** The caller of a request, as established by the AccessGuard. */
export type Actor = InternalActor | UserActor;

/** Who did something, for audit events: a request's actor, or a protocol (SCIM, SAML, system). */
export interface AuditActor {
  channel: AuditChannel;
  type: 'user' | 'internal' | 'system' | 'scim' | 'idp';
  id?: string | null;
  label?: string | null;
  ipAddress?: string | null;
}

export interface GatehouseRequest extends Request {
  actor?: Actor;
  workspace?: Workspace;
}

export function auditActorOf(actor: Actor, ipAddress?: string): AuditActor {
  return actor.kind === 'internal'
    ? { channel: 'internal', type: 'internal', label: 'internal API token', ipAddress }
    : { channel: 'admin', type: 'user', id: actor.userId, label: actor.email, ipAddress };
}

/** The workspace named by `:ws`, resolved and access-checked by the AccessGuard. */
export const CurrentWorkspace = createParamDecorator((_: unknown, ctx: ExecutionContext) => {
  const request = ctx.switchToHttp().getRequest<GatehouseRequest>();
  if (!request.workspace) throw new Error('CurrentWorkspace used on a route without :ws');
  return request.workspace;
});

/** The audit actor of this request (internal token or signed-in admin). */
export const CurrentAuditActor = createParamDecorator((_: unknown, ctx: ExecutionContext) => {
  const request = ctx.switchToHttp().getRequest<GatehouseRequest>();
  if (!request.actor) throw new Error('CurrentAuditActor used on a route without an actor');
  return auditActorOf(request.actor, request.ip);
});

export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext) => {
  return ctx.switchToHttp().getRequest<GatehouseRequest>().actor;
});
