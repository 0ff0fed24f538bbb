import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Page } from '../common/paging.js';
import { CLAIMED_ROW, claimDue } from '../outbox/outbox-claim.js';

export type OutboxStatus = 'pending' | 'sent' | 'failed';

export interface NewOutboxMail {
  workspaceId: string | null;
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
}

/** A mail the delivery loop has claimed; `attempts` counts this attempt too. */
export interface ClaimedMail {
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  attempts: number;
}

export interface OutboxMailView {
  id: string;
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string | null;
  status: OutboxStatus;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

const MAX_ERROR_LENGTH = 1000;
/** SET clause blanking the body when parameter $3 is true. */
const ERASE_BODY = `text_body = CASE WHEN $3::boolean THEN '' ELSE text_body END,
  html_body = CASE WHEN $3::boolean THEN NULL ELSE html_body END`;

/** The SQL of the mail outbox. */
@Injectable()
export class MailOutboxRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(tx: EntityManager, mail: NewOutboxMail): Promise<void> {
    await tx.query(
      `INSERT INTO mail_outbox (workspace_id, kind, recipient, subject, text_body, html_body)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [mail.workspaceId, mail.kind, mail.to, mail.subject, mail.text, mail.html],
    );
  }

  /** Claims up to `limit` due mails for `leaseMs` (see claimDue: shared with the webhooks). */
  claimDue(limit: number, leaseMs: number): Promise<ClaimedMail[]> {
    return claimDue<ClaimedMail>(this.dataSource, {
      table: 'mail_outbox',
      limit,
      leaseMs,
      returning: `m.id, m.recipient AS "to", m.subject, m.text_body AS text, m.html_body AS html,
                  m.attempts`,
    });
  }

  /**
   * The updates below apply only to the attempt that claimed the mail, not to a later one.
   * `eraseBody` blanks the body of a mail that will not be sent again: an invite link is a
   * credential, kept in the database only while it may still be needed.
   */
  async markSent(mail: ClaimedMail, eraseBody: boolean): Promise<void> {
    await this.dataSource.query(
      `UPDATE mail_outbox SET status = 'sent', sent_at = now(), last_error = NULL, ${ERASE_BODY}
       WHERE ${CLAIMED_ROW}`,
      [mail.id, mail.attempts, eraseBody],
    );
  }

  async markRetry(mail: ClaimedMail, error: string, delayMs: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE mail_outbox SET last_error = $3, next_attempt_at = now() + $4::integer * interval '1 millisecond'
       WHERE ${CLAIMED_ROW}`,
      [mail.id, mail.attempts, error.slice(0, MAX_ERROR_LENGTH), delayMs],
    );
  }

  async markFailed(mail: ClaimedMail, error: string, eraseBody: boolean): Promise<void> {
    await this.dataSource.query(
      `UPDATE mail_outbox SET status = 'failed', last_error = $4, ${ERASE_BODY}
       WHERE ${CLAIMED_ROW}`,
      [mail.id, mail.attempts, eraseBody, error.slice(0, MAX_ERROR_LENGTH)],
    );
  }

  /** Newest first, optionally only the mails to one address. */
  async list(page: { limit: number; offset: number }, to?: string): Promise<Page<OutboxMailView>> {
    const where = to === undefined ? '' : 'WHERE lower(recipient) = lower($1)';
    const filter = to === undefined ? [] : [to];
    const [counted] = await this.dataSource.query<{ total: number }[]>(
      `SELECT count(*)::int AS total FROM mail_outbox ${where}`,
      filter,
    );
    const items = await this.dataSource.query<OutboxMailView[]>(
      `SELECT id, kind, recipient AS "to", subject, text_body AS text, html_body AS html, status,
              attempts, last_error AS "lastError", created_at AS "createdAt", sent_at AS "sentAt"
       FROM mail_outbox ${where}
       ORDER BY created_at DESC, id DESC
       LIMIT $${filter.length + 1} OFFSET $${filter.length + 2}`,
      [...filter, page.limit, page.offset],
    );
    return { items, total: counted?.total ?? 0, ...page };
  }
}
