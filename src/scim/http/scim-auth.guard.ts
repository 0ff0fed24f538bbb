import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { ScimConnectionService } from '../connection/scim-connection.service.js';
import { ScimError } from '../protocol/scim-error.js';

export interface ScimRequest extends Request {
  scimWorkspaceId?: string;
  /** The request spoke Entra's legacy dialect without ?aadOptscim062020 (request log notes it). */
  scimEntraLegacy?: boolean;
}

/** The bearer token picks the workspace; anything else is a 401 in the SCIM error schema. */
@Injectable()
export class ScimAuthGuard implements CanActivate {
  constructor(private readonly connections: ScimConnectionService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<ScimRequest>();
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    const workspaceId = match?.[1] ? await this.connections.authenticate(match[1]) : null;
    if (!workspaceId) {
      throw ScimError.status(401, 'A valid SCIM bearer token is required.');
    }
    request.scimWorkspaceId = workspaceId;
    return true;
  }
}
