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
import { AuditService } from '../workspace/audit.service.js';
import {
  type AttemptOutcome,
  type ClaimedDelivery,
  WebhookRepository,
} from './webhook.repository.js';
import { WebhookService } from './webhook.service.js';
import { postWebhook } from './webhook-sender.js';
import { SIGNATURE_HEADER, signatureHeader, TIMESTAMP_HEADER } from './webhook-signature.js';

const BATCH_SIZE = 20;
const PRUNE_EVERY_MS = 3600_000;

/**
 * A claimed delivery is left to its claimer this long: the batch is sent in parallel, each POST
 * bounded by the timeout, then recorded. A process killed mid-delivery leaves its deliveries to
 * be claimed again after it (at-least-once: a receiver may see an event twice, same id).
 */
export function claimLeaseMs(timeoutMs: number): number {
  return 2 * timeoutMs + 5000;
}

/**
 * The webhook delivery loop: claims due deliveries (FOR UPDATE SKIP LOCKED, so several instances
 * share the work), POSTs each signed, and records the attempt: delivered on a 2xx, else retried
 * with exponential back-off until the last attempt, then failed.
 */
@Injectable()
export class WebhookDeliveryService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Webhooks');
  private readonly loop: DeliveryLoop;
  private nextPruneAt = 0;

  constructor(
    private readonly repository: WebhookRepository,
    private readonly webhooks: WebhookService,
    audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.loop = new DeliveryLoop({
      logger: this.logger,
      what: 'Webhook',
      batchSize: BATCH_SIZE,
      pollIntervalMs: config.webhooks.pollIntervalMs,
      pass: () => this.pass(),
    });
    audit.onWebhookDeliveriesCommitted(() => this.loop.deliverSoon());
  }

  onApplicationBootstrap(): void {
    this.loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.loop.stop();
  }

  /** Runs one delivery pass after any pass running; resolves with how many it handled. */
  deliverDue(): Promise<number> {
    return this.loop.deliverDue();
  }

  /**
   * Forgets delivered and failed deliveries older than WEBHOOK_DELIVERY_LOG_DAYS; resolves with
   * how many. Every instance does it about once an hour.
   */
  pruneDeliveryLog(): Promise<number> {
    return this.repository.pruneLog(this.config.webhooks.deliveryLogDays);
  }

  private async pass(): Promise<number> {
    if (Date.now() >= this.nextPruneAt) {
      this.nextPruneAt = Date.now() + PRUNE_EVERY_MS;
      await this.pruneDeliveryLog().catch((error: unknown) =>
        this.logger.error(`Could not prune the webhook delivery log: ${describe(error)}`),
      );
    }
    const claimed = await this.repository.claimDue(
      BATCH_SIZE,
      claimLeaseMs(this.config.webhooks.timeoutMs),
    );
    const results = await Promise.allSettled(claimed.map((delivery) => this.deliver(delivery)));
    for (const result of results) {
      // The delivery stays claimed until its lease runs out, then it is tried again.
      if (result.status === 'rejected') {
        this.logger.error(`Could not record a webhook delivery: ${describe(result.reason)}`);
      }
    }
    return claimed.length;
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    const outcome = await this.attempt(delivery);
    const { maxAttempts, retryBaseMs } = this.config.webhooks;
    const ok = outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode < 300;
    if (ok) {
      await this.repository.recordAttempt(delivery, outcome, { status: 'delivered' });
      return;
    }
    const reason = outcome.error ?? `answered ${outcome.statusCode}`;
    if (delivery.attempts >= maxAttempts) {
      await this.repository.recordAttempt(delivery, outcome, { status: 'failed' });
      this.logger.warn(
        `Webhook delivery ${delivery.id} (${delivery.eventType}) failed after ${delivery.attempts} attempts; giving up: ${reason}`,
      );
      return;
    }
    await this.repository.recordAttempt(delivery, outcome, {
      status: 'pending',
      retryInMs: retryDelayMs(delivery.attempts, retryBaseMs),
    });
  }

  private async attempt(delivery: ClaimedDelivery): Promise<AttemptOutcome> {
    const secret = this.webhooks.openSecret(delivery.secretSealed);
    if (secret === null) {
      return {
        statusCode: null,
        error: 'the signing secret cannot be opened (SECRET_KEY changed?): rotate it',
        durationMs: 0,
        excerpt: null,
      };
    }
    const body = JSON.stringify(delivery.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    return postWebhook(
      {
        url: delivery.url,
        body,
        headers: {
          [SIGNATURE_HEADER]: signatureHeader(secret, timestamp, body),
          [TIMESTAMP_HEADER]: String(timestamp),
          'Gatehouse-Event-Id': delivery.eventId,
          'Gatehouse-Event-Type': delivery.eventType,
          'Gatehouse-Delivery-Id': delivery.id,
          'Gatehouse-Delivery-Attempt': String(delivery.attempts),
        },
      },
      this.webhooks.policy,
      this.config.webhooks.timeoutMs,
    );
  }
}
