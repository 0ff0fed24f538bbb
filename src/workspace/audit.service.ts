import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { AuditActor } from './actor.js';
import { Page } from '../common/paging.js';
import { type AuditAction } from './audit-actions.js';
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

/** Audit events: written in the caller's transaction (one plain INSERT), listed newest first. */
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

@Injectable()
export class AuditService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async record(
    tx: EntityManager,
    workspaceId: string,
    actor: AuditActor,
    entry: AuditEntry,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO audit_events (workspace_id, channel, actor_type, actor_id, actor_label,
                                 ip_address, action, target_type, target_id, before, after, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12::jsonb)`,
      [workspaceId, ...eventValues(actor, entry)],
    );
  }

  /** The same event in every workspace `userId` belongs to but `exceptWorkspaceId`. */
  async recordInWorkspacesOf(
    tx: EntityManager,
    userId: string,
    exceptWorkspaceId: string,
    actor: AuditActor,
    entry: AuditEntry,
  ): Promise<void> {
    await tx.query(
      `INSERT INTO audit_events (workspace_id, channel, actor_type, actor_id, actor_label,
                                 ip_address, action, target_type, target_id, before, after, details)
       SELECT m.workspace_id, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13::jsonb
         FROM memberships m WHERE m.user_id = $1 AND m.workspace_id <> $2`,
      [userId, exceptWorkspaceId, ...eventValues(actor, entry)],
    );
  }

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
