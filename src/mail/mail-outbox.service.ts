import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AfterCommit } from '../outbox/after-commit.js';
import { MailDeliveryService } from './mail-delivery.service.js';
import { MailOutboxRepository } from './mail-outbox.repository.js';

export interface MailToSend {
  /** What the mail is about, e.g. 'invite'. */
  kind: string;
  /** One bare address. */
  to: string;
  subject: string;
  text: string;
  html?: string;
  workspaceId?: string | null;
}

/** One address, no display name and nothing that could make it a list. */
const SINGLE_ADDRESS = /^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+$/;

/**
 * The outbox: a mail is a row written in the caller's transaction, so it leaves the process only
 * if that transaction commits; the delivery loop sends it (and retries it) afterwards.
 */
@Injectable()
export class MailOutboxService {
  /** So a mail is delivered right after its transaction commits. */
  private readonly afterCommit: AfterCommit;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly outbox: MailOutboxRepository,
    private readonly delivery: MailDeliveryService,
  ) {
    this.afterCommit = new AfterCommit(dataSource);
  }

  async enqueue(tx: EntityManager, mail: MailToSend): Promise<void> {
    if (!SINGLE_ADDRESS.test(mail.to)) {
      throw new Error('A mail goes to exactly one bare address');
    }
    await this.outbox.insert(tx, {
      workspaceId: mail.workspaceId ?? null,
      kind: mail.kind,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html ?? null,
    });
    this.afterCommit.run(tx, this.nudge);
  }

  private readonly nudge = () => this.delivery.deliverSoon();

  /**
   * Asks for a delivery pass shortly. enqueue() already does this when its transaction commits;
   * a pass that finds nothing due is harmless.
   */
  deliverSoon(): void {
    this.delivery.deliverSoon();
  }
}
