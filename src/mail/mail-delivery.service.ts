import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/configuration.js';
import { DeliveryLoop, describe } from '../outbox/delivery-loop.js';
import { retryDelayMs } from '../outbox/outbox-claim.js';
import { ClaimedMail, MailOutboxRepository } from './mail-outbox.repository.js';
import { MailTransport } from './mail-transport.js';

export { retryDelayMs };

const BATCH_SIZE = 10;
/** Longer than one batch can take (it is sent in parallel, each send bounded by SMTP timeouts). */
const CLAIM_LEASE_MS = 10 * 60_000;

/**
 * The mail delivery loop: every poll interval (or soon after a nudge) it claims due mails, sends
 * them, and marks each sent, or schedules a retry, or after the last attempt marks it failed.
 */
@Injectable()
export class MailDeliveryService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Mail');
  private readonly loop: DeliveryLoop;
  /** Bodies stay readable only where GET /api/dev/outbox shows them: without SMTP. */
  private readonly eraseBodies: boolean;

  constructor(
    private readonly outbox: MailOutboxRepository,
    private readonly transport: MailTransport,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.eraseBodies = config.mail.smtpUrl !== undefined;
    this.loop = new DeliveryLoop({
      logger: this.logger,
      what: 'Mail',
      batchSize: BATCH_SIZE,
      pollIntervalMs: config.mail.pollIntervalMs,
      pass: () => this.pass(),
    });
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
    this.transport.close();
  }

  /** Asks for a delivery pass shortly (after a transaction that enqueued mail committed). */
  deliverSoon(): void {
    this.loop.deliverSoon();
  }

  /**
   * Runs one delivery pass after any pass already running; resolves with the number of mails it
   * handled (sent, retried or failed).
   */
  deliverDue(): Promise<number> {
    return this.loop.deliverDue();
  }

  private async pass(): Promise<number> {
    const claimed = await this.outbox.claimDue(BATCH_SIZE, CLAIM_LEASE_MS);
    const results = await Promise.allSettled(claimed.map((mail) => this.deliver(mail)));
    for (const result of results) {
      // The mail stays claimed until its lease runs out, then it is tried again.
      if (result.status === 'rejected') {
        this.logger.error(`Could not record a mail delivery: ${describe(result.reason)}`);
      }
    }
    return claimed.length;
  }

  private async deliver(mail: ClaimedMail): Promise<void> {
    try {
      await this.transport.send(mail);
    } catch (error) {
      const reason = describe(error);
      const { maxAttempts, retryBaseMs } = this.config.mail;
      if (mail.attempts >= maxAttempts) {
        await this.outbox.markFailed(mail, reason, this.eraseBodies);
        this.logger.error(
          `Mail ${mail.id} to ${mail.to} failed after ${mail.attempts} attempts; giving up: ${reason}`,
        );
      } else {
        await this.outbox.markRetry(mail, reason, retryDelayMs(mail.attempts, retryBaseMs));
        this.logger.warn(`Mail ${mail.id} attempt ${mail.attempts} failed; will retry: ${reason}`);
      }
      return;
    }
    await this.outbox.markSent(mail, this.eraseBodies);
  }
}
