import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
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

/** The request body as logged, as JSON text: secrets replaced, size bounded. One pass. */
export function redactedBodyJson(body: unknown): string {
  if (body === undefined || body === null) return 'null';
  const json = JSON.stringify(body, function (this: unknown, key: string, value: unknown) {
    if (SECRET_KEYS.test(key)) return '[redacted]';
    if (key.toLowerCase() === 'value' && this !== null && typeof this === 'object') {
      const holder = this as Record<string, unknown>;
      const pathKey = Object.keys(holder).find((k) => k.toLowerCase() === 'path');
      if (pathKey && isSecretPath(holder[pathKey])) return '[redacted]';
    }
    return value;
  });
  if (json === undefined) return 'null';
  if (json.length > MAX_BODY_CHARS) return JSON.stringify({ truncated: true, size: json.length });
  return json;
}

/** Rows per INSERT, and the longest a row waits in memory before it is written. */
const BATCH_ROWS = 200;
const BATCH_MS = 200;
/** Rows kept while PostgreSQL does not take them; beyond that they are counted as lost. */
const MAX_BUFFERED = 20_000;
/** Lost rows logged one by one per failed batch; the rest are summed up in one line. */
const LOST_LINES = 10;

interface Row {
  workspaceId: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
  userAgent: string | null;
  errorDetail: string | null;
  body: string;
}

/**
 * The per-workspace SCIM request log admins read to see what their IdP did, kept for
 * SCIM_REQUEST_LOG_DAYS. Off the request's path: rows wait in memory and are written by one
 * INSERT every BATCH_MS or BATCH_ROWS, whichever comes first, and on shutdown. Writing it never
 * fails or delays a SCIM request; a batch that fails is tried once more, then its rows are
 * counted as lost and logged with the cause, so a log with holes never passes for a complete one.
 */
@Injectable()
export class ScimRequestLog implements OnModuleDestroy {
  private readonly logger = new Logger(ScimRequestLog.name);
  private lastPrune = 0;
  private lostTotal = 0;
  private readonly lostByWorkspace = new Map<string, number>();
  private buffer: Row[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The writes in flight, one after the other. */
  private writing: Promise<void> = Promise.resolve();

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

  /** Queues the entry; it is written within BATCH_MS. */
  record(entry: ScimRequestEntry): void {
    const row: Row = {
      workspaceId: entry.workspaceId,
      method: entry.method,
      path: entry.path.slice(0, 2048),
      status: entry.status,
      durationMs: Math.round(entry.durationMs),
      userAgent: entry.userAgent?.slice(0, 512) ?? null,
      errorDetail: entry.errorDetail?.slice(0, 2048) ?? null,
      body: redactedBodyJson(entry.body),
    };
    if (this.buffer.length >= MAX_BUFFERED) {
      this.lose([row], 'too many entries waiting to be written');
      return;
    }
    this.buffer.push(row);
    if (this.buffer.length >= BATCH_ROWS) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), BATCH_MS).unref();
  }

  /** Writes what is queued; resolves once it and every earlier write are done. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.buffer;
    this.buffer = [];
    this.writing = this.writing.then(async () => {
      if (rows.length > 0) await this.write(rows);
      await this.prune();
    });
    return this.writing;
  }

  async onModuleDestroy(): Promise<void> {
    await this.flush();
  }

  private async write(rows: Row[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.dataSource.query(
          `INSERT INTO scim_requests
             (workspace_id, method, path, status, duration_ms, user_agent, error_detail, request_body)
           SELECT w, m, p, s, d, ua, e, b::jsonb
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[],
                         $7::text[], $8::text[]) AS r (w, m, p, s, d, ua, e, b)`,
          [
            rows.map((r) => r.workspaceId),
            rows.map((r) => r.method),
            rows.map((r) => r.path),
            rows.map((r) => r.status),
            rows.map((r) => r.durationMs),
            rows.map((r) => r.userAgent),
            rows.map((r) => r.errorDetail),
            rows.map((r) => r.body),
          ],
        );
        return;
      } catch (error) {
        const cause = error instanceof Error ? error.message : String(error);
        if (attempt < 2) {
          this.logger.warn(
            `SCIM request log: writing ${rows.length} entries failed, retrying: ${cause}`,
          );
          continue;
        }
        this.lose(rows, cause);
        return;
      }
    }
  }

  private lose(rows: Row[], cause: string): void {
    rows.forEach((row, index) => {
      this.lostTotal++;
      this.lostByWorkspace.set(row.workspaceId, this.lostWrites(row.workspaceId) + 1);
      if (index < LOST_LINES) {
        this.logger.error(
          `SCIM request log write failed, ${row.method} ${row.path} -> ${row.status} of workspace ` +
            `${row.workspaceId} not recorded (${this.lostTotal} lost since start): ${cause}`,
        );
      }
    });
    if (rows.length > LOST_LINES) {
      this.logger.error(
        `SCIM request log write failed, ${rows.length - LOST_LINES} more entries not recorded ` +
          `(${this.lostTotal} lost since start): ${cause}`,
      );
    }
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

  /** The latest entries first; what this process still holds is written before. */
  async list(workspaceId: string, page: { limit: number; offset: number }): Promise<Page<unknown>> {
    await this.flush();
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
