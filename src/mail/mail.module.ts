import { Module } from '@nestjs/common';
import { DevOutboxController } from './dev-outbox.controller.js';
import { MailDeliveryService } from './mail-delivery.service.js';
import { MailOutboxRepository } from './mail-outbox.repository.js';
import { MailOutboxService } from './mail-outbox.service.js';
import { MailTransport } from './mail-transport.js';

/** Outgoing mail through an outbox table. Imports no feature module, so any of them can use it. */
@Module({
  controllers: [DevOutboxController],
  providers: [MailOutboxRepository, MailOutboxService, MailDeliveryService, MailTransport],
  exports: [MailOutboxService],
})
export class MailModule {}
