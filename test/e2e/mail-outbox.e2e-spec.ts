import net, { type AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import { MailDeliveryService } from '../../src/mail/mail-delivery.service.js';
import { MailOutboxService, type MailToSend } from '../../src/mail/mail-outbox.service.js';
import { workspaceWithSignedInAdmin } from '../support/fixtures.js';
import { waitFor } from '../support/polling.js';
import { startSmtpServer, TestSmtpServer } from '../support/smtp-server.js';
import { startTestApp, TestApp } from '../support/test-app.js';
import { itWithConcurrentConnections, usingEmbeddedDatabase } from '../support/test-database.js';

/** What the outbox polls wait on (delivery runs in the background). */
const DELIVERY = 'the outbox delivery';
const FROM = 'Gatehouse Tests <no-reply@gatehouse.test>';
const CREDENTIALS = { user: 'gatehouse', pass: 'p@ss word:1' };
/** Mails in these tests arrive by the nudge after commit or by retries, not by this poll. */
const NO_POLLING = { MAIL_POLL_INTERVAL_MS: '600000' };
/** Retries a few tens of milliseconds apart. */
const FAST_RETRIES = { MAIL_POLL_INTERVAL_MS: '20', MAIL_RETRY_BASE_MS: '50' };

function recipient(name = 'someone'): string {
  return `${name}-${randomBytes(4).toString('hex')}@mail.test`;
}

function mailTo(to: string, extra: Partial<MailToSend> = {}): MailToSend {
  return { kind: 'test', to, subject: `Hello ${to}`, text: `Text for ${to}`, ...extra };
}

async function enqueue(t: TestApp, ...mails: MailToSend[]): Promise<void> {
  const outbox = t.app.get(MailOutboxService);
  await t.dataSource.transaction(async (tx) => {
    for (const mail of mails) await outbox.enqueue(tx, mail);
  });
}

interface OutboxRow {
  status: string;
  attempts: number;
  last_error: string | null;
  sent_at: Date | null;
}

async function rowsTo(t: TestApp, to: string): Promise<OutboxRow[]> {
  return t.dataSource.query(
    `SELECT status, attempts, last_error, sent_at FROM mail_outbox WHERE recipient = $1`,
    [to],
  );
}

async function rowTo(t: TestApp, to: string): Promise<OutboxRow> {
  const [row] = await rowsTo(t, to);
  if (!row) throw new Error(`no outbox row for ${to}`);
  return row;
}

async function bodyTo(t: TestApp, to: string) {
  const [row] = await t.dataSource.query(
    `SELECT text_body, html_body FROM mail_outbox WHERE recipient = $1`,
    [to],
  );
  return row;
}

describe('mail outbox over SMTP', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  beforeAll(async () => {
    smtp = await startSmtpServer({ auth: CREDENTIALS });
    t = await startTestApp({ SMTP_URL: smtp.url(CREDENTIALS), MAIL_FROM: FROM, ...NO_POLLING });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('delivers a mail right after its transaction commits, from MAIL_FROM, with the SMTP_URL credentials', async () => {
    const to = recipient('ada');
    await enqueue(
      t,
      mailTo(to, {
        subject: 'Join Acme',
        text: 'Accept: https://x.test/i/1',
        html: '<p>Accept</p>',
      }),
    );

    const mail = await smtp.waitForMail(to, 3000);
    expect(mail).toEqual({
      from: { address: 'no-reply@gatehouse.test', name: 'Gatehouse Tests' },
      to: [to],
      envelopeTo: [to],
      subject: 'Join Acme',
      text: 'Accept: https://x.test/i/1',
      html: '<p>Accept</p>',
      user: CREDENTIALS.user,
    });
    await waitFor(DELIVERY, async () => (await rowTo(t, to)).status === 'sent');
    expect(await rowTo(t, to)).toEqual({
      status: 'sent',
      attempts: 1,
      last_error: null,
      sent_at: expect.any(Date),
    });
    // The link in a sent mail is a credential: its body is not kept.
    expect(await bodyTo(t, to)).toEqual({ text_body: '', html_body: null });
  });

  it('never sends a mail enqueued in a transaction that rolled back', async () => {
    const rolledBack = recipient('never');
    const outbox = t.app.get(MailOutboxService);
    await expect(
      t.dataSource.transaction(async (tx) => {
        await outbox.enqueue(tx, mailTo(rolledBack));
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await t.app.get(MailDeliveryService).deliverDue();
    const marker = recipient('marker');
    await enqueue(t, mailTo(marker));
    await smtp.waitForMail(marker);

    expect(smtp.received.filter((m) => m.envelopeTo.includes(rolledBack))).toEqual([]);
    expect(await rowsTo(t, rolledBack)).toEqual([]);
  });

  it('refuses a recipient that is not exactly one bare address, writing nothing', async () => {
    const other = recipient('other');
    for (const to of [`a@mail.test, ${other}`, `Ada <${other}>`, `${other}\r\nBcc: x@mail.test`]) {
      await expect(enqueue(t, mailTo(to))).rejects.toThrow('exactly one bare address');
    }
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM mail_outbox WHERE recipient LIKE $1`,
      [`%${other}%`],
    );
    expect(n).toBe(0);
  });

  it('hides the dev outbox (404) because SMTP_URL is set', async () => {
    const res = await t.http.get('/api/dev/outbox').set('Authorization', t.internal).expect(404);
    expect(res.body.code).toBe('NOT_FOUND');
  });
});

describe('mail outbox retries', () => {
  const servers: TestSmtpServer[] = [];
  const apps: TestApp[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  async function smtpServer(options: Parameters<typeof startSmtpServer>[0] = {}) {
    const server = await startSmtpServer(options);
    servers.push(server);
    return server;
  }
  async function app(env: Record<string, string>) {
    const started = await startTestApp(env);
    apps.push(started);
    return started;
  }

  it('keeps a mail pending while the SMTP server is down, and delivers it once it is back', async () => {
    // "Down": the port is held by a listener that drops every connection, so no other test's
    // server can take the port meanwhile (a freed port may be handed out again).
    const down = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    const { port } = down.address() as AddressInfo;
    const t = await app({
      SMTP_URL: `smtp://127.0.0.1:${port}`,
      ...FAST_RETRIES,
      MAIL_MAX_ATTEMPTS: '30',
    });
    const to = recipient();
    await enqueue(t, mailTo(to));

    await waitFor(DELIVERY, async () => (await rowTo(t, to)).attempts >= 2);
    expect(await rowTo(t, to)).toMatchObject({
      status: 'pending',
      last_error: expect.any(String),
      sent_at: null,
    });
    await new Promise((resolve) => down.close(resolve));
    expect(await bodyTo(t, to)).toEqual({ text_body: `Text for ${to}`, html_body: null });

    const smtp = await smtpServer({ port });
    const mail = await smtp.waitForMail(to, 10_000);
    expect(mail).toMatchObject({ subject: `Hello ${to}`, text: `Text for ${to}` });
    await waitFor(DELIVERY, async () => (await rowTo(t, to)).status === 'sent');
    expect((await rowTo(t, to)).last_error).toBeNull();
    expect(smtp.received).toHaveLength(1);
  });

  it('retries after a temporary refusal (451) and delivers once the server accepts', async () => {
    const smtp = await smtpServer();
    smtp.refuseWith(451);
    const t = await app({ SMTP_URL: smtp.url(), ...FAST_RETRIES, MAIL_MAX_ATTEMPTS: '30' });
    const to = recipient();
    await enqueue(t, mailTo(to));

    await waitFor(DELIVERY, async () => (await rowTo(t, to)).attempts >= 2);
    expect(await rowTo(t, to)).toMatchObject({
      status: 'pending',
      last_error: expect.stringMatching(/451/),
    });
    expect(smtp.received).toEqual([]);

    smtp.refuseWith(null);
    await smtp.waitForMail(to, 10_000);
    await waitFor(DELIVERY, async () => (await rowTo(t, to)).status === 'sent');
  });

  it('marks a mail failed after MAIL_MAX_ATTEMPTS (wrong SMTP credentials, 535), never sent', async () => {
    const smtp = await smtpServer({ auth: CREDENTIALS });
    const t = await app({
      SMTP_URL: smtp.url({ user: CREDENTIALS.user, pass: 'wrong password' }),
      ...FAST_RETRIES,
      MAIL_MAX_ATTEMPTS: '3',
    });
    const to = recipient();
    await enqueue(t, mailTo(to));

    await waitFor(DELIVERY, async () => (await rowTo(t, to)).status === 'failed');
    expect(await rowTo(t, to)).toEqual({
      status: 'failed',
      attempts: 3,
      last_error: expect.stringMatching(/535/),
      sent_at: null,
    });
    expect(await bodyTo(t, to)).toEqual({ text_body: '', html_body: null });
    // A failed mail is not claimed again.
    await t.app.get(MailDeliveryService).deliverDue();
    expect((await rowTo(t, to)).attempts).toBe(3);
    expect(smtp.received).toEqual([]);
  });

  // Production needs DATABASE_URL, which the embedded test database does not set.
  (usingEmbeddedDatabase() ? it.skip : it)(
    'in production, refuses to send over a connection without STARTTLS unless SMTP_URL says requireTLS=false',
    async () => {
      const smtp = await smtpServer();
      const strict = await app({ NODE_ENV: 'production', SMTP_URL: smtp.url(), ...FAST_RETRIES });
      const to = recipient('tls');
      await enqueue(strict, mailTo(to));
      await waitFor(DELIVERY, async () => (await rowTo(strict, to)).attempts >= 1);
      await strict.app.get(MailDeliveryService).deliverDue();
      expect(await rowTo(strict, to)).toMatchObject({
        status: 'pending',
        last_error: expect.stringMatching(/STARTTLS/i),
      });
      expect(smtp.received).toEqual([]);

      const relaxed = await app({
        NODE_ENV: 'production',
        SMTP_URL: `${smtp.url()}?requireTLS=false`,
        ...FAST_RETRIES,
      });
      const plain = recipient('plain');
      await enqueue(relaxed, mailTo(plain));
      await smtp.waitForMail(plain);
    },
  );

  itWithConcurrentConnections(
    'two instances on one database deliver each mail exactly once',
    async () => {
      const smtp = await smtpServer();
      const env = { SMTP_URL: smtp.url(), MAIL_POLL_INTERVAL_MS: '10' };
      const a = await app(env);
      const b = await startTestApp(env, { sameDatabaseAs: a });
      apps.unshift(b); // closed before the app that owns the database
      const recipients = Array.from({ length: 40 }, (_, i) => recipient(`r${i}`));
      await Promise.all([
        enqueue(a, ...recipients.slice(0, 20).map((to) => mailTo(to))),
        enqueue(b, ...recipients.slice(20).map((to) => mailTo(to))),
      ]);
      const deliveries = [a, b].map((x) => x.app.get(MailDeliveryService));
      await Promise.all([...deliveries, ...deliveries].map((d) => d.deliverDue()));

      await waitFor(DELIVERY, async () => {
        const [{ n }] = await a.dataSource.query(
          `SELECT count(*)::int AS n FROM mail_outbox WHERE status = 'sent'`,
        );
        return n === recipients.length;
      });
      // Passes run one after another per instance: these end after any send still under way.
      await Promise.all(deliveries.map((d) => d.deliverDue()));
      const delivered = smtp.received.flatMap((m) => m.envelopeTo).sort();
      expect(delivered).toEqual([...recipients].sort());
    },
  );
});

class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown) {
    this.lines.push(String(message));
  }
  error() {}
  warn() {}
}

describe('mail without SMTP (development): the log and GET /api/dev/outbox', () => {
  let t: TestApp;
  const logger = new CapturingLogger();
  beforeAll(async () => {
    t = await startTestApp(NO_POLLING);
    t.app.useLogger(logger);
  });
  afterAll(() => t.close());

  it('needs the internal token: 401 without credentials or with a wrong token, 403 for an admin session', async () => {
    const none = await t.http.get('/api/dev/outbox').expect(401);
    expect(none.body.code).toBe('UNAUTHENTICATED');
    const wrong = await t.http
      .get('/api/dev/outbox')
      .set('Authorization', 'Bearer not-the-internal-token-0123456789abcdef')
      .expect(401);
    expect(wrong.body.code).toBe('UNAUTHENTICATED');
    const ws = await workspaceWithSignedInAdmin(t);
    const admin = await t.http.get('/api/dev/outbox').set('Cookie', ws.adminCookie).expect(403);
    expect(admin.body.code).toBe('FORBIDDEN');
  });

  it('writes each mail to the log, marks it sent, and lists it newest first, by recipient and paged', async () => {
    const ada = recipient('ada');
    const bob = recipient('bob');
    await enqueue(t, mailTo(ada, { subject: 'First', text: 'Link: https://x.test/1' }));
    await enqueue(t, mailTo(bob, { subject: 'For Bob', text: 'Link: https://x.test/b' }));
    await enqueue(
      t,
      mailTo(ada, { subject: 'Second', text: 'Link: https://x.test/2', html: '<p>2</p>' }),
    );
    await waitFor(DELIVERY, async () =>
      (await rowsTo(t, ada)).every((row) => row.status === 'sent'),
    );
    await waitFor(DELIVERY, async () => (await rowTo(t, bob)).status === 'sent');

    const logged = logger.lines.find((line) => line.includes(`To: ${bob}`));
    expect(logged).toContain('Subject: For Bob');
    expect(logged).toContain('Link: https://x.test/b');

    const res = await t.http
      .get('/api/dev/outbox')
      .query({ to: ada.toUpperCase() })
      .set('Authorization', t.internal)
      .expect(200);
    expect(res.body).toEqual({
      items: [
        {
          id: expect.any(String),
          kind: 'test',
          to: ada,
          subject: 'Second',
          text: 'Link: https://x.test/2',
          html: '<p>2</p>',
          status: 'sent',
          attempts: 1,
          lastError: null,
          createdAt: expect.any(String),
          sentAt: expect.any(String),
        },
        expect.objectContaining({ subject: 'First', html: null, status: 'sent' }),
      ],
      total: 2,
      limit: 50,
      offset: 0,
    });

    const page = await t.http
      .get('/api/dev/outbox')
      .query({ to: ada, limit: 1, offset: 1 })
      .set('Authorization', t.internal)
      .expect(200);
    expect(page.body.items.map((m: { subject: string }) => m.subject)).toEqual(['First']);
    expect(page.body.total).toBe(2);

    const all = await t.http.get('/api/dev/outbox').set('Authorization', t.internal).expect(200);
    const subjects = all.body.items.map((m: { subject: string }) => m.subject);
    expect(subjects.indexOf('Second')).toBeLessThan(subjects.indexOf('For Bob'));
    expect(subjects.indexOf('For Bob')).toBeLessThan(subjects.indexOf('First'));
  });

  it('refuses a bad page or filter with 400', async () => {
    await t.http
      .get('/api/dev/outbox')
      .query({ limit: 0 })
      .set('Authorization', t.internal)
      .expect(400);
    await t.http
      .get('/api/dev/outbox')
      .query({ to: 'x'.repeat(300) })
      .set('Authorization', t.internal)
      .expect(400);
  });

  it('is described in the OpenAPI document', async () => {
    const json = await t.http.get('/docs/json').expect(200);
    expect(json.body.paths['/api/dev/outbox'].get.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'to', in: 'query' })]),
    );
  });
});
