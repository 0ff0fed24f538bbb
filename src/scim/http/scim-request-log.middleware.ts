import { Injectable, Logger, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Response } from 'express';
import { ScimConnectionService } from '../connection/scim-connection.service.js';
import { ScimRequestLog } from '../log/scim-request-log.service.js';
import type { ScimRequest } from './scim-auth.guard.js';

/** Whether the request carries Entra's `?aadOptscim062020` (any case, any value). */
function hasEntraFlag(request: ScimRequest): boolean {
  return Object.keys(request.query ?? {}).some((key) => key.toLowerCase() === 'aadoptscim062020');
}

/** Logs every authenticated SCIM request once its response is sent (never failing it). */
@Injectable()
export class ScimRequestLogMiddleware implements NestMiddleware {
  private readonly logger = new Logger(ScimRequestLogMiddleware.name);
  private readonly lastNoted = new Map<string, number>();
  /** Workspaces this process saw speak Entra's legacy dialect since their last flagged request. */
  private readonly legacySeen = new Set<string>();

  constructor(
    private readonly log: ScimRequestLog,
    private readonly connections: ScimConnectionService,
  ) {}

  use(request: ScimRequest, response: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    response.on('finish', () => {
      const workspaceId = request.scimWorkspaceId;
      if (!workspaceId) return;
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const entraLegacy = request.scimEntraLegacy === true;
      const entraFlagged = hasEntraFlag(request);
      this.log.record({
        workspaceId,
        method: request.method,
        path: request.originalUrl,
        status: response.statusCode,
        durationMs,
        userAgent: request.headers['user-agent'],
        errorDetail: response.locals.scimErrorDetail as string | undefined,
        body: request.method === 'GET' ? undefined : (request.body as unknown),
      });
      // last_request_at is kept to the minute; a legacy request, or the first flagged one after
      // it (the admin fixed the Tenant URL: the hint goes away), is noted at once.
      const now = Date.now();
      const clearsHint = entraFlagged && this.legacySeen.has(workspaceId);
      if (entraLegacy || clearsHint || now - (this.lastNoted.get(workspaceId) ?? 0) > 60_000) {
        this.lastNoted.set(workspaceId, now);
        if (entraLegacy) this.legacySeen.add(workspaceId);
        else if (entraFlagged) this.legacySeen.delete(workspaceId);
        void this.connections
          .noteRequest(workspaceId, { legacy: entraLegacy, flagged: entraFlagged })
          .catch((error: unknown) =>
            this.logger.warn(
              `Could not note the last SCIM request of workspace ${workspaceId}: ${String(error)}`,
            ),
          );
      }
    });
    next();
  }
}
