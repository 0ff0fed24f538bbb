import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { isUuid } from '../common/ids.js';
import { Page } from '../common/paging.js';
import { SecretBox } from '../common/secret-box.js';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/configuration.js';
import type { AuditActor } from '../workspace/actor.js';
import { AuditService } from '../workspace/audit.service.js';
import { lockWorkspace } from '../workspace/workspace-lock.js';
import { webhookNotFound, WebhookException } from './webhook.errors.js';
import {
  type DeliveryStatus,
  type WebhookDeliveryView,
  type WebhookEndpointView,
  WebhookRepository,
} from './webhook.repository.js';
import { newWebhookSecret } from './webhook-signature.js';
import { webhookUrlRefusal, type WebhookTargetPolicy } from './webhook-target.js';

export const WEBHOOK_SECRET_PURPOSE = 'webhook-signing-secret';
/** Endpoints per workspace: each audited change looks them all up. */
export const MAX_ENDPOINTS_PER_WORKSPACE = 20;

export interface CreateWebhookInput {
  url: string;
  events: string[];
  description?: string | null;
  enabled?: boolean;
}

export type UpdateWebhookInput = Partial<CreateWebhookInput>;

/** An endpoint with its signing secret: answered once, at creation and at rotation. */
export type WebhookEndpointWithSecret = WebhookEndpointView & { secret: string };

/** What the admin API shows of an endpoint, in one shape (and never its secret). */
function view(endpoint: WebhookEndpointView): WebhookEndpointView {
  const { id, url, description, events, enabled, createdAt, updatedAt } = endpoint;
  return { id, url, description, events, enabled, createdAt, updatedAt };
}

/** Per-workspace webhook endpoints: their URLs, event filters and signing secrets. */
@Injectable()
export class WebhookService {
  private readonly secrets: SecretBox;
  readonly policy: WebhookTargetPolicy;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly repository: WebhookRepository,
    private readonly audit: AuditService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.secrets = new SecretBox(
      config.secretKey,
      WEBHOOK_SECRET_PURPOSE,
      config.previousSecretKeys,
    );
    this.policy = config.webhooks;
  }

  /** Opens a sealed secret; null when SECRET_KEY changed since it was sealed. */
  openSecret(sealed: string): string | null {
    return this.secrets.open(sealed);
  }

  async create(
    workspaceId: string,
    input: CreateWebhookInput,
    actor: AuditActor,
  ): Promise<WebhookEndpointWithSecret> {
    this.assertUrlAllowed(input.url);
    const secret = newWebhookSecret();
    const endpoint = await this.dataSource.transaction(async (tx) => {
      await lockWorkspace(tx, workspaceId);
      if ((await this.repository.countEndpoints(tx, workspaceId)) >= MAX_ENDPOINTS_PER_WORKSPACE) {
        throw new WebhookException(
          'WEBHOOK_LIMIT_REACHED',
          `A workspace can have at most ${MAX_ENDPOINTS_PER_WORKSPACE} webhook endpoints.`,
        );
      }
      const created = await this.repository.insertEndpoint(tx, workspaceId, {
        url: input.url,
        description: input.description ?? null,
        events: [...new Set(input.events)],
        enabled: input.enabled ?? true,
        secretSealed: this.secrets.seal(secret),
      });
      await this.audit.record(tx, workspaceId, actor, {
        action: 'webhook.created',
        targetType: 'webhook',
        targetId: created.id,
        after: this.audited(created),
      });
      return created;
    });
    return { ...view(endpoint), secret };
  }

  list(workspaceId: string, page: { limit: number; offset: number }) {
    return this.repository.listEndpoints(workspaceId, page);
  }

  async get(workspaceId: string, id: string): Promise<WebhookEndpointView> {
    return view(await this.find(this.dataSource.manager, workspaceId, id));
  }

  async update(
    workspaceId: string,
    id: string,
    input: UpdateWebhookInput,
    actor: AuditActor,
  ): Promise<WebhookEndpointView> {
    if (input.url !== undefined) this.assertUrlAllowed(input.url);
    return this.dataSource.transaction(async (tx) => {
      const before = await this.find(tx, workspaceId, id, { lock: true });
      const after = await this.repository.updateEndpoint(tx, workspaceId, before.id, {
        url: input.url,
        description: input.description,
        events: input.events && [...new Set(input.events)],
        enabled: input.enabled,
      });
      if (!after) throw webhookNotFound();
      await this.audit.record(tx, workspaceId, actor, {
        action: 'webhook.updated',
        targetType: 'webhook',
        targetId: before.id,
        before: this.audited(before),
        after: this.audited(after),
      });
      return view(after);
    });
  }

  async remove(workspaceId: string, id: string, actor: AuditActor): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      const endpoint = await this.find(tx, workspaceId, id, { lock: true });
      await this.repository.deleteEndpoint(tx, workspaceId, endpoint.id);
      await this.audit.record(tx, workspaceId, actor, {
        action: 'webhook.deleted',
        targetType: 'webhook',
        targetId: endpoint.id,
        before: this.audited(endpoint),
      });
    });
  }

  /** A new signing secret; the old one stops signing at once. */
  async rotateSecret(
    workspaceId: string,
    id: string,
    actor: AuditActor,
  ): Promise<WebhookEndpointWithSecret> {
    const secret = newWebhookSecret();
    const endpoint = await this.dataSource.transaction(async (tx) => {
      const found = await this.find(tx, workspaceId, id, { lock: true });
      const updated = await this.repository.updateEndpoint(tx, workspaceId, found.id, {
        secretSealed: this.secrets.seal(secret),
      });
      if (!updated) throw webhookNotFound();
      await this.audit.record(tx, workspaceId, actor, {
        action: 'webhook.secret_rotated',
        targetType: 'webhook',
        targetId: found.id,
      });
      return updated;
    });
    return { ...view(endpoint), secret };
  }

  async deliveries(
    workspaceId: string,
    id: string,
    filter: { status?: DeliveryStatus },
    page: { limit: number; offset: number },
  ): Promise<Page<WebhookDeliveryView>> {
    const endpoint = await this.find(this.dataSource.manager, workspaceId, id);
    return this.repository.listDeliveries(workspaceId, endpoint.id, filter, page);
  }

  private async find(
    db: EntityManager,
    workspaceId: string,
    id: string,
    options: { lock?: boolean } = {},
  ): Promise<WebhookEndpointView> {
    const endpoint = isUuid(id)
      ? await this.repository.findEndpoint(db, workspaceId, id.toLowerCase(), options)
      : null;
    if (!endpoint) throw webhookNotFound();
    return endpoint;
  }

  private assertUrlAllowed(url: string): void {
    const refusal = webhookUrlRefusal(url, this.policy);
    if (refusal) {
      throw new WebhookException('WEBHOOK_URL_NOT_ALLOWED', `Webhook URL refused: ${refusal}.`, {
        url,
      });
    }
  }

  private audited(endpoint: WebhookEndpointView): Record<string, unknown> {
    const { url, description, events, enabled } = endpoint;
    return { url, description, events, enabled };
  }
}
