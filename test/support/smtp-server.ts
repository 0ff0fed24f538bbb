import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** The From header's address and display name. */
  from: { address: string; name: string };
  /** Addresses of the To header. */
  to: string[];
  /** RCPT TO addresses of the SMTP envelope. */
  envelopeTo: string[];
  subject: string;
  text: string;
  html: string | null;
  /** The user the client authenticated as, if it did. */
  user: string | undefined;
}

export interface SmtpServerOptions {
  /** Port to listen on (e.g. to come back on the port of a stopped server); 0 picks one. */
  port?: number;
  /** Require these credentials (AUTH PLAIN/LOGIN, allowed without TLS on loopback). */
  auth?: { user: string; pass: string };
}

export interface TestSmtpServer {
  port: number;
  /** smtp://[user:pass@]127.0.0.1:port */
  url(credentials?: { user: string; pass: string }): string;
  received: ReceivedMail[];
  /** Answers every RCPT TO with this SMTP error (e.g. 451 or 550) until set back to null. */
  refuseWith(code: number | null): void;
  waitForMail(
    match: string | ((mail: ReceivedMail) => boolean),
    timeoutMs?: number,
  ): Promise<ReceivedMail>;
  close(): Promise<void>;
}

function addresses(header: AddressObject | AddressObject[] | undefined): string[] {
  const list = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return list.flatMap((h) => h.value.map((a) => a.address ?? ''));
}

/** A real SMTP server on loopback (smtp-server) that parses what it receives (mailparser). */
export async function startSmtpServer(options: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  let refusal: number | null = null;

  const server = new SMTPServer({
    logger: false,
    disabledCommands: options.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: true,
    authOptional: !options.auth,
    closeTimeout: 500,
    onAuth(auth, _session, callback) {
      const ok = auth.username === options.auth?.user && auth.password === options.auth?.pass;
      if (ok) callback(null, { user: auth.username });
      else
        callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(_address, _session, callback) {
      if (refusal === null) callback();
      else callback(Object.assign(new Error('Refused by the test'), { responseCode: refusal }));
    },
    onData(stream, session, callback) {
      // The mail is recorded before the client hears 250, so a finished send is already here.
      simpleParser(stream).then(
        (parsed) => {
          const from = parsed.from?.value[0];
          received.push({
            from: { address: from?.address ?? '', name: from?.name ?? '' },
            to: addresses(parsed.to),
            envelopeTo: session.envelope.rcptTo.map((r) => r.address),
            subject: parsed.subject ?? '',
            // A text-only message ends with a line break the sender did not write.
            text: (parsed.text ?? '').replace(/\n$/, ''),
            html: parsed.html || null,
            user: typeof session.user === 'string' ? session.user : undefined,
          });
          for (const wake of waiters) wake();
          callback();
        },
        (error: Error) => callback(error),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    port,
    received,
    url(credentials) {
      const auth = credentials
        ? `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.pass)}@`
        : '';
      return `smtp://${auth}127.0.0.1:${port}`;
    },
    refuseWith(code) {
      refusal = code;
    },
    waitForMail(match, timeoutMs = 5000) {
      const matches =
        typeof match === 'string' ? (m: ReceivedMail) => m.envelopeTo.includes(match) : match;
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = received.find(matches);
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`No mail matching ${String(match)} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
