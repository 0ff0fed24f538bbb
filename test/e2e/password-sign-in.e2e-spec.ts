import { addMember, createWorkspace, PASSWORD, signIn } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const DISABLED_MESSAGE =
  'Sorry, your organization has disabled that sign in method. Please check with your administrator';

describe('password sign-in and sessions', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
      LOGIN_MAX_FAILURES_PER_IP: '1000',
    });
  });
  afterAll(() => t.close());

  const login = (body: object) => t.http.post('/auth/password/login').send(body);

  it('signs in with a secure, HttpOnly, SameSite=Lax session cookie', async () => {
    const ws = await createWorkspace(t);
    const res = await login({
      workspace: ws.slug,
      email: ws.adminEmail.toUpperCase(),
      password: PASSWORD,
    }).expect(200);
    expect(res.body).toMatchObject({
      user: { id: ws.adminId, email: ws.adminEmail },
      workspace: { id: ws.id, slug: ws.slug },
      role: 'admin',
      method: 'password',
    });
    const cookie = (res.headers['set-cookie'] as unknown as string[])[0]!;
    expect(cookie).toMatch(/^gatehouse_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/); // PUBLIC_URL is http in this test app
    // Lifetime: 30 days by default.
    const expires = new Date(/Expires=([^;]+)/.exec(cookie)![1]!).getTime();
    expect(Math.abs(expires - (Date.now() + 30 * 24 * 3600 * 1000))).toBeLessThan(60_000);
  });

  it('stores only a digest of the session token', async () => {
    const ws = await createWorkspace(t);
    const cookie = await signIn(t, ws.slug, ws.adminEmail);
    const token = cookie.split('=')[1]!;
    const rows: { token_hash: string }[] = await t.dataSource.query(
      `SELECT token_hash FROM sessions WHERE user_id = $1`,
      [ws.adminId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).not.toContain(token);
    expect(rows[0]!.token_hash).toHaveLength(43);
  });

  it('shows the current session and signs out', async () => {
    const ws = await createWorkspace(t);
    const cookie = await signIn(t, ws.slug, ws.adminEmail);
    const session = await t.http.get('/auth/session').set('Cookie', cookie).expect(200);
    expect(session.body).toMatchObject({
      user: { id: ws.adminId },
      workspace: { slug: ws.slug },
      role: 'admin',
      method: 'password',
      expiresAt: expect.any(String),
    });
    const out = await t.http.post('/auth/logout').set('Cookie', cookie).expect(204);
    expect((out.headers['set-cookie'] as unknown as string[])[0]).toMatch(/gatehouse_session=;/);
    const after = await t.http.get('/auth/session').set('Cookie', cookie).expect(401);
    expect(after.body.code).toBe('NOT_SIGNED_IN');
    await t.http.get(`/api/workspaces/${ws.slug}`).set('Cookie', cookie).expect(401);
  });

  it('records sign-ins in the audit trail', async () => {
    const ws = await createWorkspace(t);
    await signIn(t, ws.slug, ws.adminEmail);
    const audit = await t.http
      .get(`/api/workspaces/${ws.slug}/audit-events?action=session.created`)
      .set('Authorization', t.internal)
      .expect(200);
    expect(audit.body.items[0]).toMatchObject({
      channel: 'auth',
      actorId: ws.adminId,
      details: { method: 'password' },
    });
  });

  it('uses the Secure flag when PUBLIC_URL is https', async () => {
    const secure = await startTestApp({ PUBLIC_URL: 'https://gatehouse.example.com' });
    try {
      const ws = await createWorkspace(secure);
      const res = await secure.http
        .post('/auth/password/login')
        .send({ workspace: ws.slug, email: ws.adminEmail, password: PASSWORD })
        .expect(200);
      expect((res.headers['set-cookie'] as unknown as string[])[0]).toMatch(/; Secure/);
    } finally {
      await secure.close();
    }
  });

  describe('failing cases', () => {
    it('answers the same for an unknown email, a wrong password and an unknown workspace', async () => {
      const ws = await createWorkspace(t);
      const answers = await Promise.all([
        login({ workspace: ws.slug, email: 'nobody@example.com', password: PASSWORD }),
        login({ workspace: ws.slug, email: ws.adminEmail, password: 'wrong password!' }),
        login({ workspace: 'no-such-workspace', email: ws.adminEmail, password: PASSWORD }),
      ]);
      for (const res of answers) {
        expect(res.status).toBe(401);
        expect(res.body).toEqual({
          statusCode: 401,
          code: 'INVALID_CREDENTIALS',
          message: 'The email or password is not correct.',
        });
        expect(res.headers['set-cookie']).toBeUndefined();
      }
    });

    it('refuses a person without a password', async () => {
      const ws = await createWorkspace(t);
      await t.http
        .post(`/api/workspaces/${ws.slug}/members`)
        .set('Authorization', t.internal)
        .send({ email: 'sso-only@example.com' })
        .expect(201);
      const res = await login({
        workspace: ws.slug,
        email: 'sso-only@example.com',
        password: PASSWORD,
      });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('INVALID_CREDENTIALS');
    });

    it('refuses a person who is not a member of that workspace', async () => {
      const a = await createWorkspace(t);
      const b = await createWorkspace(t);
      const res = await login({
        workspace: b.slug,
        email: a.adminEmail,
        password: PASSWORD,
      }).expect(403);
      expect(res.body.code).toBe('NOT_A_MEMBER');
    });

    it('refuses with the exact message when password sign-in is disabled', async () => {
      const ws = await createWorkspace(t);
      // Forced: no SAML provider and no Office365 here, so nothing else could sign anyone in.
      await t.http
        .patch(`/api/workspaces/${ws.slug}/settings?force=true`)
        .set('Authorization', t.internal)
        .send({ signInMethods: { password: false } })
        .expect(200);
      const res = await login({
        workspace: ws.slug,
        email: ws.adminEmail,
        password: PASSWORD,
      }).expect(403);
      expect(res.body).toEqual({
        statusCode: 403,
        code: 'SIGN_IN_METHOD_DISABLED',
        message: DISABLED_MESSAGE,
        method: 'password',
      });
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('checks the method before the membership', async () => {
      const ws = await createWorkspace(t);
      const userId = await addMember(t, ws.slug, 'gone@example.com');
      await t.http
        .patch(`/api/workspaces/${ws.slug}/members/${userId}`)
        .set('Authorization', t.internal)
        .send({ status: 'deactivated' })
        .expect(200);
      const deactivated = await login({
        workspace: ws.slug,
        email: 'gone@example.com',
        password: PASSWORD,
      });
      expect(deactivated.body.code).toBe('MEMBERSHIP_DEACTIVATED');
      // Forced: no SAML provider and no Office365 here, so nothing else could sign anyone in.
      await t.http
        .patch(`/api/workspaces/${ws.slug}/settings?force=true`)
        .set('Authorization', t.internal)
        .send({ signInMethods: { password: false } })
        .expect(200);
      const disabled = await login({
        workspace: ws.slug,
        email: 'gone@example.com',
        password: PASSWORD,
      });
      expect(disabled.body.code).toBe('SIGN_IN_METHOD_DISABLED');
    });

    it('throttles repeated failures per account, even with the right password afterwards', async () => {
      const ws = await createWorkspace(t);
      for (let i = 0; i < 3; i++) {
        await login({
          workspace: ws.slug,
          email: ws.adminEmail,
          password: `wrong ${i} password`,
        }).expect(401);
      }
      const blocked = await login({
        workspace: ws.slug,
        email: ws.adminEmail,
        password: PASSWORD,
      }).expect(429);
      expect(blocked.body).toMatchObject({
        code: 'TOO_MANY_ATTEMPTS',
        retryAfterSeconds: expect.any(Number),
      });
      expect(blocked.headers['retry-after']).toBe(String(blocked.body.retryAfterSeconds));
      // Another account from the same address is not affected.
      const other = await createWorkspace(t);
      await login({ workspace: other.slug, email: other.adminEmail, password: PASSWORD }).expect(
        200,
      );
    });

    it('throttles repeated failures per IP address across accounts', async () => {
      const strict = await startTestApp({
        LOGIN_MAX_FAILURES_PER_IP: '4',
        LOGIN_MAX_FAILURES_PER_ACCOUNT: '100',
      });
      try {
        const ws = await createWorkspace(strict);
        for (let i = 0; i < 4; i++) {
          await strict.http
            .post('/auth/password/login')
            .send({
              workspace: ws.slug,
              email: `guess${i}@example.com`,
              password: 'guess guess guess',
            })
            .expect(401);
        }
        const res = await strict.http
          .post('/auth/password/login')
          .send({ workspace: ws.slug, email: ws.adminEmail, password: PASSWORD })
          .expect(429);
        expect(res.body.code).toBe('TOO_MANY_ATTEMPTS');
      } finally {
        await strict.close();
      }
    });

    it.each([
      [{ email: 'a@b.example', password: 'x' }, 'workspace'],
      [{ workspace: 'x', password: 'x' }, 'email'],
      [{ workspace: 'x', email: 'a@b.example' }, 'password'],
      [{ workspace: 'x', email: 'a@b.example', password: 'x', remember: true }, 'remember'],
    ])('refuses invalid input %j', async (body, field) => {
      const res = await login(body).expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });
  });

  describe('login CSRF: JSON only, from our own origins', () => {
    const SELF = 'http://gatehouse.test'; // PUBLIC_URL's origin
    const EVIL = 'https://evil.test';

    function sessionCookieOf(res: { headers: Record<string, unknown> }): string[] {
      const cookies = (res.headers['set-cookie'] as string[] | undefined) ?? [];
      return cookies.filter((c) => c.startsWith('gatehouse_session='));
    }

    async function sessionsOf(userId: string): Promise<number> {
      const rows: { n: number }[] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`,
        [userId],
      );
      return rows[0]!.n;
    }

    it('refuses a cross-site form that would sign the victim in as the attacker', async () => {
      const attacker = await createWorkspace(t);
      const form = `workspace=${attacker.slug}&email=${encodeURIComponent(attacker.adminEmail)}&password=${encodeURIComponent(PASSWORD)}`;
      const res = await t.http
        .post('/auth/password/login')
        .set('Origin', EVIL)
        .type('form')
        .send(form);
      expect({ status: res.status, code: res.body.code }).toEqual({
        status: 403,
        code: 'CROSS_ORIGIN_REQUEST',
      });
      expect(sessionCookieOf(res)).toEqual([]);
      // Without an Origin (an old browser, a proxy that strips it) the form is still refused.
      const noOrigin = await t.http.post('/auth/password/login').type('form').send(form);
      expect({ status: noOrigin.status, code: noOrigin.body.code }).toEqual({
        status: 415,
        code: 'JSON_REQUIRED',
      });
      expect(sessionCookieOf(noOrigin)).toEqual([]);
      expect(await sessionsOf(attacker.adminId)).toBe(0);
    });

    it('refuses a JSON-looking text/plain or multipart body, whatever the origin', async () => {
      const ws = await createWorkspace(t);
      const json = JSON.stringify({ workspace: ws.slug, email: ws.adminEmail, password: PASSWORD });
      for (const origin of [EVIL, SELF, undefined]) {
        const text = t.http.post('/auth/password/login').set('Content-Type', 'text/plain');
        if (origin) text.set('Origin', origin);
        const res = await text.send(json);
        expect({ status: res.status, code: res.body.code }).toEqual(
          origin === EVIL
            ? { status: 403, code: 'CROSS_ORIGIN_REQUEST' }
            : { status: 415, code: 'JSON_REQUIRED' },
        );
        expect(sessionCookieOf(res)).toEqual([]);
      }
      const multipart = await t.http
        .post('/auth/password/login')
        .field('workspace', ws.slug)
        .field('email', ws.adminEmail)
        .field('password', PASSWORD);
      expect({ status: multipart.status, code: multipart.body.code }).toEqual({
        status: 415,
        code: 'JSON_REQUIRED',
      });
      const empty = await t.http.post('/auth/password/login');
      expect(empty.body.code).toBe('JSON_REQUIRED');
      expect(await sessionsOf(ws.adminId)).toBe(0);
    });

    it('refuses JSON from a foreign origin (another site, or another origin of this one)', async () => {
      const ws = await createWorkspace(t);
      for (const origin of [EVIL, 'http://other.gatehouse.test', 'null']) {
        const res = await t.http
          .post('/auth/password/login')
          .set('Origin', origin)
          .send({ workspace: ws.slug, email: ws.adminEmail, password: PASSWORD });
        expect({ status: res.status, code: res.body.code }).toEqual({
          status: 403,
          code: 'CROSS_ORIGIN_REQUEST',
        });
        expect(sessionCookieOf(res)).toEqual([]);
      }
      expect(await sessionsOf(ws.adminId)).toBe(0);
    });

    it('signs in with JSON from our own origin, or from no browser page at all', async () => {
      const ws = await createWorkspace(t);
      const body = { workspace: ws.slug, email: ws.adminEmail, password: PASSWORD };
      const same = await t.http
        .post('/auth/password/login')
        .set('Origin', SELF)
        .set('Content-Type', 'application/json; charset=utf-8')
        .send(JSON.stringify(body))
        .expect(200);
      expect(sessionCookieOf(same)).toHaveLength(1);
      await t.http.post('/auth/password/login').send(body).expect(200);
      expect(await sessionsOf(ws.adminId)).toBe(2);
    });

    it('does not sign out from a foreign origin or with a form body', async () => {
      const ws = await createWorkspace(t);
      const cookie = await signIn(t, ws.slug, ws.adminEmail);
      const foreign = await t.http.post('/auth/logout').set('Cookie', cookie).set('Origin', EVIL);
      expect({ status: foreign.status, code: foreign.body.code }).toEqual({
        status: 403,
        code: 'CROSS_ORIGIN_REQUEST',
      });
      for (const [type, body] of [
        ['application/x-www-form-urlencoded', 'a=b'],
        ['application/x-www-form-urlencoded', ''],
        ['text/plain', '{}'],
      ] as const) {
        const res = await t.http
          .post('/auth/logout')
          .set('Cookie', cookie)
          .set('Content-Type', type)
          .send(body);
        expect({ status: res.status, code: res.body.code }).toEqual({
          status: 415,
          code: 'JSON_REQUIRED',
        });
      }
      for (const res of [foreign]) expect(sessionCookieOf(res)).toEqual([]);
      await t.http.get('/auth/session').set('Cookie', cookie).expect(200);
      expect(await sessionsOf(ws.adminId)).toBe(1);
    });

    it('signs out from our own origin with no body or a JSON one', async () => {
      const ws = await createWorkspace(t);
      const first = await signIn(t, ws.slug, ws.adminEmail);
      await t.http.post('/auth/logout').set('Cookie', first).set('Origin', SELF).expect(204);
      await t.http.get('/auth/session').set('Cookie', first).expect(401);
      const second = await signIn(t, ws.slug, ws.adminEmail);
      await t.http.post('/auth/logout').set('Cookie', second).send({}).expect(204);
      await t.http.get('/auth/session').set('Cookie', second).expect(401);
    });
  });

  describe('session lifetime', () => {
    async function ageSession(userId: string, seconds: number) {
      await t.dataSource.query(
        `UPDATE sessions SET created_at = created_at - make_interval(secs => $2),
                             last_seen_at = last_seen_at - make_interval(secs => $2)
          WHERE user_id = $1`,
        [userId, seconds],
      );
    }

    it('expires a session after the workspace lifetime', async () => {
      const ws = await createWorkspace(t);
      const cookie = await signIn(t, ws.slug, ws.adminEmail);
      await ageSession(ws.adminId, 30 * 24 * 3600 - 60);
      await t.http.get('/auth/session').set('Cookie', cookie).expect(200);
      await ageSession(ws.adminId, 120);
      const res = await t.http.get('/auth/session').set('Cookie', cookie).expect(401);
      expect(res.body.code).toBe('NOT_SIGNED_IN');
      await t.http.get(`/api/workspaces/${ws.slug}/members`).set('Cookie', cookie).expect(401);
    });

    it('applies a shortened lifetime to sessions already signed in', async () => {
      const ws = await createWorkspace(t);
      const cookie = await signIn(t, ws.slug, ws.adminEmail);
      await ageSession(ws.adminId, 2 * 3600);
      await t.http.get('/auth/session').set('Cookie', cookie).expect(200);
      await t.http
        .patch(`/api/workspaces/${ws.slug}/settings`)
        .set('Authorization', t.internal)
        .send({ sessionLifetimeSeconds: 3600 })
        .expect(200);
      await t.http.get('/auth/session').set('Cookie', cookie).expect(401);
    });

    it('reports expiresAt from the current lifetime', async () => {
      const ws = await createWorkspace(t);
      await t.http
        .patch(`/api/workspaces/${ws.slug}/settings`)
        .set('Authorization', t.internal)
        .send({ sessionLifetimeSeconds: 3600 })
        .expect(200);
      const cookie = await signIn(t, ws.slug, ws.adminEmail);
      const res = await t.http.get('/auth/session').set('Cookie', cookie).expect(200);
      expect(
        Math.abs(new Date(res.body.expiresAt).getTime() - (Date.now() + 3600_000)),
      ).toBeLessThan(60_000);
    });

    it('ends an idle session after the idle timeout, and activity keeps it alive', async () => {
      const ws = await createWorkspace(t);
      await t.http
        .patch(`/api/workspaces/${ws.slug}/settings`)
        .set('Authorization', t.internal)
        .send({ sessionIdleTimeoutSeconds: 900 })
        .expect(200);
      const cookie = await signIn(t, ws.slug, ws.adminEmail);
      await ageSession(ws.adminId, 800);
      await t.http.get('/auth/session').set('Cookie', cookie).expect(200); // refreshes last_seen_at
      await t.dataSource.query(
        `UPDATE sessions SET created_at = created_at - interval '800 seconds' WHERE user_id = $1`,
        [ws.adminId],
      );
      await t.http.get('/auth/session').set('Cookie', cookie).expect(200);
      await t.dataSource.query(
        `UPDATE sessions SET last_seen_at = now() - interval '901 seconds' WHERE user_id = $1`,
        [ws.adminId],
      );
      await t.http.get('/auth/session').set('Cookie', cookie).expect(401);
    });

    it('ends sessions when the member is removed from the workspace', async () => {
      const ws = await createWorkspace(t);
      const userId = await addMember(t, ws.slug, 'leaver@example.com');
      const cookie = await signIn(t, ws.slug, 'leaver@example.com');
      await t.http
        .delete(`/api/workspaces/${ws.slug}/members/${userId}`)
        .set('Authorization', t.internal)
        .expect(204);
      await t.http.get('/auth/session').set('Cookie', cookie).expect(401);
    });
  });
});
