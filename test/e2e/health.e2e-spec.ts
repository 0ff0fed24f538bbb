import { startTestApp, TestApp } from '../support/test-app.js';

describe('health and documentation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('is live', async () => {
    await t.http.get('/health/live').expect(200, { status: 'ok' });
  });

  it('is ready when the database answers', async () => {
    const res = await t.http.get('/health/ready').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.info.database.status).toBe('up');
  });

  it('serves the OpenAPI document and its UI', async () => {
    const json = await t.http.get('/docs/json').expect(200);
    expect(json.body.openapi).toMatch(/^3\./);
    expect(Object.keys(json.body.paths)).toEqual(
      expect.arrayContaining(['/api/workspaces', '/auth/password/login', '/health/ready']),
    );
    const ui = await t.http.get('/docs').expect(200);
    expect(ui.text).toContain('swagger');
  });

  it('answers an unknown route with the error shape', async () => {
    const res = await t.http.get('/nope').expect(404);
    expect(res.body).toEqual({ statusCode: 404, code: 'NOT_FOUND', message: expect.any(String) });
  });
});
