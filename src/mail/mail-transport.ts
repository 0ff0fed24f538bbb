import { Inject, Injectable, Logger } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/configuration.js';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string | null;
}

/**
 * Sends through SMTP_URL with nodemailer. Without SMTP_URL (never in production), a mail is only
 * written to the log, and GET /api/dev/outbox shows it.
 */
@Injectable()
export class MailTransport {
  private readonly logger = new Logger('Mail');
  private readonly smtp: Transporter | undefined;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const { smtpUrl, from } = config.mail;
    if (!smtpUrl) return;
    this.smtp = createTransport(
      {
        url: smtpUrl,
        // A stripped STARTTLS would expose invite links; SMTP_URL can say ?requireTLS=false.
        requireTLS: config.nodeEnv === 'production',
        connectionTimeout: 15_000,
        greetingTimeout: 15_000,
        socketTimeout: 30_000,
      },
      { from },
    );
  }

  async send(mail: OutgoingMail): Promise<void> {
    if (!this.smtp) {
      this.logger.log(
        `Mail not sent (no SMTP_URL), also in GET /api/dev/outbox\nTo: ${mail.to}\nSubject: ${mail.subject}\n\n${mail.text}`,
      );
      return;
    }
    await this.smtp.sendMail({
      // An address object, so a recipient is never read as a list of addresses.
      to: { name: '', address: mail.to },
      subject: mail.subject,
      text: mail.text,
      ...(mail.html !== null && { html: mail.html }),
    });
  }

  close(): void {
    this.smtp?.close();
  }
}
