import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Page } from '../common/paging.js';
import { CLAIMED_ROW, claimDue } from '../outbox/outbox-claim.js';
import type { WebhookEventType } from '../workspace/audit-actions.js';

export interface WebhookEndpointView {
  id: string;
  url: string;
  description: string | null;
  events: (WebhookEventType | '*')[];
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewWebhookEndpoint {
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  secretSealed: string;
}

export interface WebhookEndpointChanges {
  url?: string;
  description?: string | null;
  events?: string[];
  enabled?: boolean;
  secretSealed?: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDeliveryView {
  id: string;
  eventId: string;
  eventType: WebhookEventType;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  lastAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  lastDurationMs: number | null;
  responseExcerpt: string | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

/** A delivery the loop has claimed; `attempts` counts this attempt too. */
export interface ClaimedDelivery {
  id: string;
  eventId: string;
  eventType: string;
  payload: Record<string, unknown>;
  attempts: number;
  url: string;
  secretSealed: string;
}

/** What one attempt gave, for the delivery log. */
export interface AttemptOutcome {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  excerpt: string | null;
}

const ENDPOINT_COLUMNS = `id, url, description, events, enabled, created_at AS "createdAt",
  updated_at AS "updatedAt"`;
const MAX_ERROR_LENGTH = 1000;

/** The SQL of webhook endpoints and of their deliveries (the webhook outbox). */
@Injectable()
export class WebhookRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async countEndpoints(tx: EntityManager, workspaceId: string): Promise<number> {
    const [row] = await tx.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM webhook_endpoints WHERE workspace_id = $1`,
      [workspaceId],
    );
    return row?.n ?? 0;
  }

  async insertEndpoint(
    tx: EntityManager,
    workspaceId: string,
    endpoint: NewWebhookEndpoint,
  ): Promise<WebhookEndpointView> {
    const [row] = await tx.query<WebhookEndpointView[]>(
      `INSERT INTO webhook_endpoints (workspace_id, url, description, events, enabled, secret_sealed)
       VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING ${ENDPOINT_COLUMNS}`,
      [
        workspaceId,
        endpoint.url,
        endpoint.description,
        endpoint.events,
        endpoint.enabled,
        endpoint.secretSealed,
      ],
    );
    return row!;
  }

  async listEndpoints(
    workspaceId: string,
    page: { limit: number; offset: number },
  ): Promise<Page<WebhookEndpointView>> {
    const [counted] = await this.dataSource.query<{ total: number }[]>(
      `SELECT count(*)::int AS total FROM webhook_endpoints WHERE workspace_id = $1`,
      [workspaceId],
    );
    const items = await this.dataSource.query<WebhookEndpointView[]>(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE workspace_id = $1
       ORDER BY created_at, id LIMIT $2 OFFSET $3`,
      [workspaceId, page.limit, page.offset],
    );
    return { items, total: counted?.total ?? 0, ...page };
  }

  /** The endpoint, locked for the rest of the transaction when `tx` is one. */
  async findEndpoint(
    db: EntityManager,
    workspaceId: string,
    id: string,
    options: { lock?: boolean } = {},
  ): Promise<WebhookEndpointView | null> {
    const [row] = await db.query<WebhookEndpointView[]>(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2
       ${options.lock ? 'FOR UPDATE' : ''}`,
      [workspaceId, id],
    );
    return row ?? null;
  }

  async updateEndpoint(
    tx: EntityManager,
    workspaceId: string,
    id: string,
    changes: WebhookEndpointChanges,
  ): Promise<WebhookEndpointView | null> {
    const columns: Record<keyof WebhookEndpointChanges, string> = {
      url: 'url',
      description: 'description',
      events: 'events',
      enabled: 'enabled',
      secretSealed: 'secret_sealed',
    };
    const sets: string[] = [];
    const values: unknown[] = [workspaceId, id];
    for (const key of Object.keys(columns) as (keyof WebhookEndpointChanges)[]) {
      if (changes[key] === undefined) continue;
      values.push(changes[key]);
      sets.push(`${columns[key]} = $${values.length}`);
    }
    const [rows] = await tx.query<[WebhookEndpointView[], number]>(
      `UPDATE webhook_endpoints SET ${[...sets, 'updated_at = now()'].join(', ')}
       WHERE workspace_id = $1 AND id = $2
       RETURNING ${ENDPOINT_COLUMNS}`,
      values,
    );
    return rows[0] ?? null;
  }

  async deleteEndpoint(tx: EntityManager, workspaceId: string, id: string): Promise<boolean> {
    const [rows] = await tx.query<[unknown[], number]>(
      `DELETE FROM webhook_endpoints WHERE workspace_id = $1 AND id = $2 RETURNING id`,
      [workspaceId, id],
    );
    return rows.length > 0;
  }

  /** An endpoint's delivery log, newest first. */
  async listDeliveries(
    workspaceId: string,
    endpointId: string,
    filter: { status?: DeliveryStatus },
    page: { limit: number; offset: number },
  ): Promise<Page<WebhookDeliveryView>> {
    const values: unknown[] = [workspaceId, endpointId];
    let where = 'workspace_id = $1 AND endpoint_id = $2';
    if (filter.status) {
      values.push(filter.status);
      where += ` AND status = $${values.length}`;
    }
    const [counted] = await this.dataSource.query<{ total: number }[]>(
      `SELECT count(*)::int AS total FROM webhook_deliveries WHERE ${where}`,
      values,
    );
    const items = await this.dataSource.query<WebhookDeliveryView[]>(
      `SELECT id, event_id AS "eventId", event_type AS "eventType", status, attempts,
              CASE WHEN status = 'pending' THEN next_attempt_at END AS "nextAttemptAt",
              last_attempt_at AS "lastAttemptAt", last_status_code AS "lastStatusCode",
              last_error AS "lastError", last_duration_ms AS "lastDurationMs",
              response_excerpt AS "responseExcerpt", delivered_at AS "deliveredAt",
              created_at AS "createdAt"
         FROM webhook_deliveries WHERE ${where}
        ORDER BY created_at DESC, id DESC
        LIMIT $${values.length + 1} OFFSET $${values.length + 2}`,
      [...values, page.limit, page.offset],
    );
    return { items, total: counted?.total ?? 0, ...page };
  }

  /**
   * Claims up to `limit` due deliveries of enabled endpoints for `leaseMs` (claimDue, shared with
   * the mail outbox). A disabled endpoint's pending deliveries wait until it is enabled again.
   */
  claimDue(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    return claimDue<ClaimedDelivery>(this.dataSource, {
      table: 'webhook_deliveries',
      limit,
      leaseMs,
      where: `EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.id = t.endpoint_id AND e.enabled)`,
      returning: `m.id, m.event_id AS "eventId", m.event_type AS "eventType", m.payload,
        m.attempts,
        (SELECT e.url FROM webhook_endpoints e WHERE e.id = m.endpoint_id) AS url,
        (SELECT e.secret_sealed FROM webhook_endpoints e WHERE e.id = m.endpoint_id) AS "secretSealed"`,
    });
  }

  /** Forgets delivered and failed deliveries older than `days`; pending ones stay. */
  async pruneLog(days: number): Promise<number> {
    const [, count] = await this.dataSource.query<[unknown[], number]>(
      `DELETE FROM webhook_deliveries
        WHERE status <> 'pending' AND created_at < now() - make_interval(days => $1)`,
      [days],
    );
    return count;
  }

  /** Records an attempt: delivered, failed for good, or to be retried after `retryInMs`. */
  async recordAttempt(
    delivery: ClaimedDelivery,
    outcome: AttemptOutcome,
    next: { status: 'delivered' } | { status: 'failed' } | { status: 'pending'; retryInMs: number },
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_deliveries
          SET status = $3::text,
              next_attempt_at = CASE WHEN $3::text = 'pending'
                                     THEN now() + $4::integer * interval '1 millisecond'
                                     ELSE next_attempt_at END,
              delivered_at = CASE WHEN $3::text = 'delivered' THEN now() END,
              last_attempt_at = now(),
              last_status_code = $5,
              last_error = $6,
              last_duration_ms = $7,
              response_excerpt = $8
        WHERE ${CLAIMED_ROW}`,
      [
        delivery.id,
        delivery.attempts,
        next.status,
        next.status === 'pending' ? next.retryInMs : 0,
        outcome.statusCode,
        outcome.error?.slice(0, MAX_ERROR_LENGTH) ?? null,
        outcome.durationMs,
        outcome.excerpt,
      ],
    );
  }
}
