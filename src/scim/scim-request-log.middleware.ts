import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Response } from 'express';
import { ScimConnectionService } from './connection/scim-connection.service.js';
import { ScimRequestLog } from './log/scim-request-log.service.js';
import type { ScimRequest } from './scim-auth.guard.js';

/** Logs every authenticated SCIM request once its response is sent (never failing it). */
@Injectable()
export class ScimRequestLogMiddleware implements NestMiddleware {
  private readonly lastNoted = new Map<string, number>();

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
      const entraLegacy = response.locals.entraLegacy === true;
      void this.log.record({
        workspaceId,
        method: request.method,
        path: request.originalUrl,
        status: response.statusCode,
        durationMs,
        userAgent: request.headers['user-agent'],
        errorDetail: response.locals.scimErrorDetail as string | undefined,
        body: request.method === 'GET' ? undefined : (request.body as unknown),
      });
      const now = Date.now();
      if (entraLegacy || now - (this.lastNoted.get(workspaceId) ?? 0) > 60_000) {
        this.lastNoted.set(workspaceId, now);
        void this.connections.noteRequest(workspaceId, entraLegacy).catch(() => undefined);
      }
    });
    next();
  }
}
