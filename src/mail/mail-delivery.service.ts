import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/configuration.js';
import { ClaimedMail, MailOutboxRepository } from './mail-outbox.repository.js';
import { MailTransport } from './mail-transport.js';

const BATCH_SIZE = 10;
/** Longer than one batch can take (it is sent in parallel, each send bounded by SMTP timeouts). */
const CLAIM_LEASE_MS = 10 * 60_000;
const MAX_RETRY_DELAY_MS = 3600_000;
/** How long a nudge waits, so a burst of commits is delivered in one pass. */
const SOON_MS = 20;

/** Exponential backoff: the first retry after `baseMs`, then twice as long each time. */
export function retryDelayMs(attempts: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_MS);
}

/**
 * The delivery loop: every poll interval (or soon after a nudge) it claims due mails, sends them,
 * and marks each sent, or schedules a retry, or after the last attempt marks it failed.
 */
@Injectable()
export class MailDeliveryService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Mail');
  private timer: NodeJS.Timeout | undefined;
  private timerDueAt = Infinity;
  private stopped = true;
  /** Passes run one after another; this is the latest one queued. */
  private passes: Promise<number> = Promise.resolve(0);
  /** Bodies stay readable only where GET /api/dev/outbox shows them: without SMTP. */
  private readonly eraseBodies: boolean;

  constructor(
    private readonly outbox: MailOutboxRepository,
    private readonly transport: MailTransport,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.eraseBodies = config.mail.smtpUrl !== undefined;
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.passes;
    this.transport.close();
  }

  /** Asks for a delivery pass shortly (after a transaction that enqueued mail committed). */
  deliverSoon(): void {
    this.schedule(SOON_MS);
  }

  /**
   * Runs one delivery pass after any pass already running; resolves with the number of mails it
   * handled (sent, retried or failed).
   */
  deliverDue(): Promise<number> {
    this.passes = this.passes.then(() => this.pass());
    return this.passes;
  }

  private schedule(delayMs: number): void {
    if (this.stopped || this.timerDueAt <= Date.now() + delayMs) return;
    clearTimeout(this.timer);
    this.timerDueAt = Date.now() + delayMs;
    this.timer = setTimeout(() => void this.tick(), delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.timer = undefined;
    this.timerDueAt = Infinity;
    const handled = await this.deliverDue();
    // A full batch: more may be due right now.
    this.schedule(handled === BATCH_SIZE ? 0 : this.config.mail.pollIntervalMs);
  }

  private async pass(): Promise<number> {
    try {
      const claimed = await this.outbox.claimDue(BATCH_SIZE, CLAIM_LEASE_MS);
      const results = await Promise.allSettled(claimed.map((mail) => this.deliver(mail)));
      for (const result of results) {
        // The mail stays claimed until its lease runs out, then it is tried again.
        if (result.status === 'rejected') {
          this.logger.error(`Could not record a mail delivery: ${describe(result.reason)}`);
        }
      }
      return claimed.length;
    } catch (error) {
      this.logger.error(`Mail delivery pass failed: ${describe(error)}`);
      return 0;
    }
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

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
