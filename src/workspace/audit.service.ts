import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditActor } from './actor.js';
import { Page } from '../common/paging.js';
import { AfterCommit } from '../outbox/after-commit.js';
import { type AuditAction, webhookEventOf } from './audit-actions.js';
import { AuditEvent } from './entities/audit-event.entity.js';

export interface AuditEntry {
  action: AuditAction;
  targetType?: string;
  targetId?: string;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  details?: Record<string, unknown> | null;
}

/** A jsonb parameter: the JSON text, or SQL NULL. */
function json(value: Record<string, unknown> | null | undefined): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

/** An event's columns after workspace_id, in audit_events' order (JSON columns as text). */
function eventValues(actor: AuditActor, entry: AuditEntry): unknown[] {
  return [
    actor.channel,
    actor.type,
    actor.id ?? null,
    actor.label ?? null,
    actor.ipAddress ?? null,
    entry.action,
    entry.targetType ?? null,
    entry.targetId ?? null,
    json(entry.before),
    json(entry.after),
    json(entry.details),
  ];
}

const INSERT_EVENT = `INSERT INTO audit_events (workspace_id, channel, actor_type, actor_id,
  actor_label, ip_address, action, target_type, target_id, before, after, details)`;

/**
 * After an INSERT of events `RETURNING *` named `audited`: a webhook delivery of each to every
 * enabled endpoint of its workspace subscribed to event type `$type` (the outbox the webhook
 * delivery loop claims). The payload is the event as webhooks document it (docs/webhooks.md);
 * its id is the audit event's.
 */
const INSERT_DELIVERIES = (type: string) => `
  INSERT INTO webhook_deliveries (workspace_id, endpoint_id, event_id, event_type, payload)
  SELECT e.workspace_id, w.id, e.id, ${type}::text, jsonb_build_object(
           'id', e.id,
           'type', ${type}::text,
           'createdAt', e.created_at,
           'workspaceId', e.workspace_id,
           'actor', jsonb_build_object('channel', e.channel, 'type', e.actor_type,
                                       'id', e.actor_id, 'label', e.actor_label),
           'target', jsonb_build_object('type', e.target_type, 'id', e.target_id),
           'data', jsonb_build_object('action', e.action, 'before', e.before,
                                      'after', e.after, 'details', e.details))
    FROM audited e
    JOIN webhook_endpoints w ON w.workspace_id = e.workspace_id AND w.enabled
                            AND (${type}::text = ANY (w.events) OR '*' = ANY (w.events))
  RETURNING 1`;

type Listener = () => void;

/**
 * Audit events: written in the caller's transaction, listed newest first. An action that sends a
 * webhook event (audit-actions.ts) writes its webhook deliveries in the same statement, so they
 * exist exactly when the change committed.
 */
@Injectable()
export class AuditService {
  private readonly afterCommit: AfterCommit;
  private readonly webhookListeners = new Set<Listener>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.afterCommit = new AfterCommit(dataSource);
  }

  /** Called after a transaction that wrote webhook deliveries committed (to deliver them soon). */
  onWebhookDeliveriesCommitted(listener: Listener): void {
    this.webhookListeners.add(listener);
  }

  async record(
    tx: EntityManager,
    workspaceId: string,
    actor: AuditActor,
    entry: AuditEntry,
  ): Promise<void> {
    const values = [workspaceId, ...eventValues(actor, entry)];
    const rows = `VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12::jsonb)`;
    await this.insert(tx, entry, `${INSERT_EVENT} ${rows}`, values, '$13');
  }

  /** The same event in every workspace `userId` belongs to but `exceptWorkspaceId`. */
  async recordInWorkspacesOf(
    tx: EntityManager,
    userId: string,
    exceptWorkspaceId: string,
    actor: AuditActor,
    entry: AuditEntry,
  ): Promise<void> {
    const values = [userId, exceptWorkspaceId, ...eventValues(actor, entry)];
    const rows = `SELECT m.workspace_id, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13::jsonb
                    FROM memberships m WHERE m.user_id = $1 AND m.workspace_id <> $2`;
    await this.insert(tx, entry, `${INSERT_EVENT} ${rows}`, values, '$14');
  }

  /** The events alone, or with their webhook deliveries (`typeParameter` numbers the type). */
  private async insert(
    tx: EntityManager,
    entry: AuditEntry,
    insertEvents: string,
    values: unknown[],
    typeParameter: string,
  ): Promise<void> {
    const webhookEvent = webhookEventOf(entry.action, entry);
    if (webhookEvent === null) {
      await tx.query(insertEvents, values);
      return;
    }
    const deliveries = await tx.query<unknown[]>(
      `WITH audited AS (${insertEvents} RETURNING *) ${INSERT_DELIVERIES(typeParameter)}`,
      [...values, webhookEvent],
    );
    if (deliveries.length > 0) this.afterCommit.run(tx, this.webhooksWritten);
  }

  private readonly webhooksWritten = () => {
    for (const listener of this.webhookListeners) listener();
  };

  async list(
    workspaceId: string,
    page: { limit: number; offset: number },
    filter: { action?: AuditAction; channel?: string; targetId?: string } = {},
  ): Promise<Page<AuditEvent>> {
    const query = this.dataSource
      .getRepository(AuditEvent)
      .createQueryBuilder('e')
      .where('e.workspace_id = :workspaceId', { workspaceId });
    if (filter.action) query.andWhere('e.action = :action', { action: filter.action });
    if (filter.channel) query.andWhere('e.channel = :channel', { channel: filter.channel });
    if (filter.targetId) query.andWhere('e.target_id = :targetId', { targetId: filter.targetId });
    const [items, total] = await query
      .orderBy('e.seq', 'DESC')
      .limit(page.limit)
      .offset(page.offset)
      .getManyAndCount();
    return { items, total, ...page };
  }
}
