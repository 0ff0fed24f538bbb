import type { TestApp } from './test-app.js';

/**
 * The invite link's token, as the invitee's mailbox receives it: the newest mail to `email` in
 * the development outbox (the test app has no SMTP server configured).
 */
export async function inviteTokenFromOutbox(t: TestApp, email: string): Promise<string> {
  const res = await t.http
    .get('/api/dev/outbox')
    .query({ to: email })
    .set('Authorization', t.internal);
  if (res.status !== 200) throw new Error(`outbox: ${res.status} ${res.text}`);
  const [mail] = res.body.items as { text: string }[];
  const token = /\/invites\/([A-Za-z0-9_-]+)/.exec(mail?.text ?? '')?.[1];
  if (!token) throw new Error(`no invite mail for ${email}`);
  return token;
}
