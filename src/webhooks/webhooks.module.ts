import { Module } from '@nestjs/common';
import { WorkspaceModule } from '../workspace/workspace.module.js';
import { WebhookDeliveryService } from './webhook-delivery.service.js';
import { WebhookRepository } from './webhook.repository.js';
import { WebhookService } from './webhook.service.js';
import { WebhooksController } from './webhooks.controller.js';

/**
 * Per-workspace webhook endpoints and their delivery loop. The deliveries themselves are written
 * by AuditService, in the transaction of the change they report (src/workspace/audit-actions.ts).
 */
@Module({
  imports: [WorkspaceModule],
  controllers: [WebhooksController],
  providers: [WebhookRepository, WebhookService, WebhookDeliveryService],
  exports: [WebhookService, WebhookDeliveryService],
})
export class WebhooksModule {}
