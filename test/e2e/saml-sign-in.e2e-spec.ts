import { addMember, createWorkspace } from '../support/fixtures.js';
import { createProvider, idpKeys, postToAcs, responseFor } from '../support/saml-fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

describe('SAML sign-in', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ FRONTEND_URL: 'https://app.example.com' });
  });
  afterAll(() => t.close());

  it('signs an existing member in from an IdP-initiated response', async () => {
    const [key] = await idpKeys();
    const ws = await createWorkspace(t);
    await addMember(t, ws.slug, 'ada@acme.test');
    const provider = await createProvider(t, ws.slug, { key: key! });
    const res = await postToAcs(
      t,
      provider,
      await responseFor(provider, 'ada@acme.test'),
      '/projects',
    );
    expect([res.status, res.body]).toEqual([302, {}]);
    expect(res.headers.location).toBe('https://app.example.com/projects');
    const cookie = (res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    const session = await t.http.get('/auth/session').set('Cookie', cookie).expect(200);
    expect(session.body).toMatchObject({ method: 'saml', user: { email: 'ada@acme.test' } });
  });
});
