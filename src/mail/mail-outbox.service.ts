import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  DataSource,
  EntityManager,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';
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
export class MailOutboxService implements EntitySubscriberInterface {
  /** Transactions that enqueued mail and have not ended yet. */
  private readonly awaitingCommit = new WeakSet<QueryRunner>();

  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly outbox: MailOutboxRepository,
    private readonly delivery: MailDeliveryService,
  ) {
    // Told of every commit, so a mail is delivered right after its transaction commits.
    dataSource.subscribers.push(this);
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
    const runner = tx.queryRunner;
    if (runner?.isTransactionActive) this.awaitingCommit.add(runner);
    else this.delivery.deliverSoon();
  }

  /**
   * Asks for a delivery pass shortly. enqueue() already does this when its transaction commits;
   * a pass that finds nothing due is harmless.
   */
  deliverSoon(): void {
    this.delivery.deliverSoon();
  }

  afterTransactionCommit({ queryRunner }: TransactionCommitEvent): void {
    // A released savepoint is not a commit yet.
    if (queryRunner.isTransactionActive) return;
    if (this.awaitingCommit.delete(queryRunner)) this.delivery.deliverSoon();
  }

  afterTransactionRollback({ queryRunner }: TransactionRollbackEvent): void {
    if (!queryRunner.isTransactionActive) this.awaitingCommit.delete(queryRunner);
  }
}
