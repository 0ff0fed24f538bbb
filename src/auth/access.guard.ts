import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { APP_CONFIG } from '../config/config.module.js';
import { allowedOrigins, type AppConfig } from '../config/configuration.js';
import { Access, ACCESS_KEY } from '../common/access.decorator.js';
import type { Actor, GatehouseRequest } from '../workspace/actor.js';
import { CommonException } from '../common/app-exception.js';
import { assertSameOriginWrite } from '../common/same-origin.js';
import { safeEqualAny } from '../common/secret-tokens.js';
import { WorkspaceException } from '../workspace/workspace.errors.js';
import { WorkspaceService } from '../workspace/workspace.service.js';
import { SessionCookie } from './session/session-cookie.js';
import { SessionService } from '../workspace/sessions/session.service.js';

const notFound = () => new WorkspaceException('WORKSPACE_NOT_FOUND', 'No such workspace.');

/**
 * Establishes who is calling (internal token or session cookie) and whether they may call this
 * route for the `:ws` workspace. A session of another workspace gets 404, as if it did not exist.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionService,
    private readonly cookie: SessionCookie,
    private readonly workspaces: WorkspaceService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.origins = allowedOrigins(config);
  }

  private readonly origins: string[];

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const access =
      this.reflector.getAllAndOverride<Access>(ACCESS_KEY, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'internal';
    if (access === 'public') return true;

    const request = context.switchToHttp().getRequest<GatehouseRequest>();
    const actor = await this.identify(request);
    if (!actor) {
      throw new CommonException(
        'UNAUTHENTICATED',
        'Sign in, or send the internal API token as a Bearer token.',
      );
    }
    if (actor.kind === 'user') assertSameOriginWrite(request, this.origins);
    request.actor = actor;

    const wsParam = stringParam(request.params.ws);
    if (wsParam !== undefined) {
      const workspace = await this.workspaces.findByIdOrSlug(wsParam);
      if (!workspace) throw notFound();
      if (actor.kind === 'user' && workspace.id !== actor.workspaceId) throw notFound();
      request.workspace = workspace;
    }

    if (actor.kind === 'internal') return true;
    if (access === 'internal') {
      throw new CommonException('FORBIDDEN', 'This operation needs the internal API token.');
    }
    if (actor.role === 'admin') return true;
    if (access === 'self' && stringParam(request.params.userId) === actor.userId) return true;
    throw new CommonException('FORBIDDEN', 'Only an admin of this workspace can do that.');
  }

  private async identify(request: GatehouseRequest): Promise<Actor | null> {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      // The current token, or one of INTERNAL_API_TOKEN_PREVIOUS during a rotation.
      const accepted = [this.config.internalApiToken, ...this.config.previousInternalApiTokens];
      if (match?.[1] && safeEqualAny(match[1], accepted)) {
        return { kind: 'internal' };
      }
      throw new CommonException('UNAUTHENTICATED', 'The bearer token is not valid.');
    }
    const token = this.cookie.read(request);
    if (!token) return null;
    const session = await this.sessions.authenticate(token);
    if (!session) return null;
    return {
      kind: 'user',
      userId: session.userId,
      email: session.email,
      workspaceId: session.workspaceId,
      role: session.role,
      sessionId: session.id,
    };
  }
}

function stringParam(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
