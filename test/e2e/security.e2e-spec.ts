import { workspaceWithSignedInAdmin } from '../support/fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

describe('browser-facing protections', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ FRONTEND_URL: 'https://admin.example.com' });
  });
  afterAll(() => t.close());

  const settings = (ws: string) => `/api/workspaces/${ws}/settings`;

  it('accepts cookie-authenticated writes from the frontend and our own origin', async () => {
    const ws = await workspaceWithSignedInAdmin(t);
    for (const origin of ['https://admin.example.com', 'http://gatehouse.test']) {
      await t.http
        .patch(settings(ws.slug))
        .set('Cookie', ws.adminCookie)
        .set('Origin', origin)
        .send({ sessionLifetimeSeconds: 3600 })
        .expect(200);
    }
  });

  it('refuses cookie-authenticated writes from another origin, and changes nothing', async () => {
    const ws = await workspaceWithSignedInAdmin(t);
    const res = await t.http
      .patch(settings(ws.slug))
      .set('Cookie', ws.adminCookie)
      .set('Origin', 'https://evil.example.net')
      .send({ sessionLifetimeSeconds: 3600 })
      .expect(403);
    expect(res.body.code).toBe('FORBIDDEN');
    const after = await t.http.get(`/api/workspaces/${ws.slug}`).set('Authorization', t.internal);
    expect(after.body.settings.sessionLifetimeSeconds).toBe(2592000);
    // Reads are not writes; the internal token is not ambient, so its origin does not matter.
    await t.http
      .get(`/api/workspaces/${ws.slug}`)
      .set('Cookie', ws.adminCookie)
      .set('Origin', 'https://evil.example.net')
      .expect(200);
    await t.http
      .patch(settings(ws.slug))
      .set('Authorization', t.internal)
      .set('Origin', 'https://evil.example.net')
      .send({ sessionLifetimeSeconds: 3600 })
      .expect(200);
  });

  it('allows CORS with credentials for the frontend origin only', async () => {
    const allowed = await t.http
      .options('/api/workspaces/x/settings')
      .set('Origin', 'https://admin.example.com')
      .set('Access-Control-Request-Method', 'PATCH')
      .expect(204);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://admin.example.com');
    expect(allowed.headers['access-control-allow-credentials']).toBe('true');
    const refused = await t.http
      .options('/api/workspaces/x/settings')
      .set('Origin', 'https://evil.example.net')
      .set('Access-Control-Request-Method', 'PATCH');
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends security headers and no framework banner', async () => {
    const res = await t.http.get('/health/live').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('never answers with a stack trace', async () => {
    const res = await t.http
      .post('/api/workspaces')
      .set('Authorization', t.internal)
      .set('Content-Type', 'application/json')
      .send('{"name": ')
      .expect(400);
    expect(res.body).toEqual({ statusCode: 400, code: 'BAD_REQUEST', message: expect.any(String) });
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.js:\d+/);
  });
});
