import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Page } from '../../common/paging.js';
import { APP_CONFIG } from '../../config/config.module.js';
import type { AppConfig } from '../../config/configuration.js';

export interface ScimRequestEntry {
  workspaceId: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  userAgent: string | undefined;
  errorDetail: string | undefined;
  body: unknown;
}

const SECRET_KEYS = /^(password|token|secret|authorization)$/i;
const MAX_BODY_CHARS = 64 * 1024;

/**
 * Whether a PATCH operation's `path` names a secret: `password`, `name.password` or
 * `urn:...:User:password` (the value then sits under `value`, not under a secret key).
 */
function isSecretPath(path: unknown): boolean {
  if (typeof path !== 'string') return false;
  const attribute = path.trim().split(/[:.]/).pop() ?? '';
  return SECRET_KEYS.test(attribute);
}

/** The request body as logged: secrets replaced, size bounded. */
export function redactBody(body: unknown): unknown {
  if (body === undefined || body === null) return null;
  const json = JSON.stringify(body, function (this: unknown, key: string, value: unknown) {
    if (SECRET_KEYS.test(key)) return '[redacted]';
    if (key.toLowerCase() === 'value' && this !== null && typeof this === 'object') {
      const holder = this as Record<string, unknown>;
      const pathKey = Object.keys(holder).find((k) => k.toLowerCase() === 'path');
      if (pathKey && isSecretPath(holder[pathKey])) return '[redacted]';
    }
    return value;
  });
  if (json === undefined) return null;
  if (json.length > MAX_BODY_CHARS) return { truncated: true, size: json.length };
  return JSON.parse(json) as unknown;
}

/**
 * The per-workspace SCIM request log admins read to see what their IdP did, kept for
 * SCIM_REQUEST_LOG_DAYS. Writing it never fails a SCIM request; a write that fails is counted
 * and logged with its cause, so a log with holes never passes for a complete one.
 */
@Injectable()
export class ScimRequestLog {
  private readonly logger = new Logger(ScimRequestLog.name);
  private lastPrune = 0;
  private lostTotal = 0;
  private readonly lostByWorkspace = new Map<string, number>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Requests this process could not record: of one workspace, or of all. */
  lostWrites(workspaceId?: string): number {
    return workspaceId === undefined
      ? this.lostTotal
      : (this.lostByWorkspace.get(workspaceId) ?? 0);
  }

  async record(entry: ScimRequestEntry): Promise<void> {
    const path = entry.path.slice(0, 2048);
    try {
      await this.dataSource.query(
        `INSERT INTO scim_requests
           (workspace_id, method, path, status, duration_ms, user_agent, error_detail, request_body)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          entry.workspaceId,
          entry.method,
          path,
          entry.status,
          Math.round(entry.durationMs),
          entry.userAgent?.slice(0, 512) ?? null,
          entry.errorDetail?.slice(0, 2048) ?? null,
          JSON.stringify(redactBody(entry.body)),
        ],
      );
    } catch (error) {
      this.lostTotal++;
      this.lostByWorkspace.set(entry.workspaceId, this.lostWrites(entry.workspaceId) + 1);
      this.logger.error(
        `SCIM request log write failed, ${entry.method} ${path} -> ${entry.status} of workspace ` +
          `${entry.workspaceId} not recorded (${this.lostTotal} lost since start): ` +
          `${error instanceof Error ? error.message : String(error)}`,
      );
      return;
    }
    await this.prune();
  }

  private async prune(): Promise<void> {
    if (Date.now() - this.lastPrune <= 60_000) return;
    this.lastPrune = Date.now();
    try {
      await this.dataSource.query(
        `DELETE FROM scim_requests WHERE created_at < now() - make_interval(days => $1)`,
        [this.config.scim.requestLogDays],
      );
    } catch (error) {
      this.logger.error(
        `SCIM request log pruning failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  async list(workspaceId: string, page: { limit: number; offset: number }): Promise<Page<unknown>> {
    const [counted] = await this.dataSource.query<{ total: number }[]>(
      `SELECT count(*)::int AS total FROM scim_requests WHERE workspace_id = $1`,
      [workspaceId],
    );
    const items = await this.dataSource.query<unknown[]>(
      `SELECT id::text, method, path, status, duration_ms AS "durationMs", user_agent AS "userAgent",
              error_detail AS "errorDetail", request_body AS "requestBody", created_at AS "createdAt"
         FROM scim_requests WHERE workspace_id = $1
        ORDER BY id DESC LIMIT $2 OFFSET $3`,
      [workspaceId, page.limit, page.offset],
    );
    return { items, total: counted?.total ?? 0, ...page };
  }
}
