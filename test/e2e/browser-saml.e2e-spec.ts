import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { addMember, createWorkspace } from '../support/fixtures.js';
import { startSamlIdp, type RunningIdp } from '../support/saml-idp.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  process.stdout.write(
    `\nNo Chromium at ${CHROMIUM}: the browser test is skipped (apt-get install chromium).\n`,
  );
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

(haveChromium ? describe : describe.skip)('SAML sign-in in a real browser', () => {
  let t: TestApp;
  let idp: RunningIdp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    t = await startTestApp({ PUBLIC_URL: base, FRONTEND_URL: base });
    await t.app.listen(port, '127.0.0.1');
    idp = await startSamlIdp({
      users: [
        { email: 'ada@acme.test', password: 'idp password', attributes: { givenName: 'Ada' } },
      ],
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await idp?.close();
    await t?.close();
  });

  it('walks SP-initiated sign-in through the IdP login form and ends signed in', async () => {
    const ws = await createWorkspace(t);
    await addMember(t, ws.slug, 'ada@acme.test');
    const created = await t.http
      .post(`/api/workspaces/${ws.slug}/saml-providers`)
      .set('Authorization', t.internal)
      .send({ name: 'Local IdP', metadataXml: idp.metadataXml })
      .expect(201);

    const page = await browser.newPage();
    await page.goto(`${created.body.loginUrl}?RelayState=${encodeURIComponent('/auth/session')}`);
    expect(page.url().startsWith(idp.url)).toBe(true);
    await page.fill('input[name="email"]', 'ada@acme.test');
    await page.fill('input[name="password"]', 'idp password');
    await Promise.all([
      page.waitForURL(`${base}/auth/session`, { timeout: 15_000 }),
      page.click('#sign-in'),
    ]);
    const session = JSON.parse((await page.textContent('body')) ?? '{}') as Record<string, unknown>;
    expect(session).toMatchObject({
      method: 'saml',
      role: 'member',
      user: { email: 'ada@acme.test' },
      workspace: { slug: ws.slug },
    });
    const cookies = await page.context().cookies(base);
    expect(cookies.find((c) => c.name === 'gatehouse_session')).toMatchObject({
      httpOnly: true,
      sameSite: 'Lax',
    });
    await page.close();
  });

  it('shows a browser the error page with the exact message when SAML is disabled', async () => {
    const ws = await createWorkspace(t);
    const created = await t.http
      .post(`/api/workspaces/${ws.slug}/saml-providers`)
      .set('Authorization', t.internal)
      .send({ name: 'Local IdP', metadataXml: idp.metadataXml })
      .expect(201);
    await t.http
      .patch(`/api/workspaces/${ws.slug}/settings`)
      .set('Authorization', t.internal)
      .send({ signInMethods: { saml: false } })
      .expect(200);
    const page = await browser.newPage();
    const response = await page.goto(created.body.loginUrl as string);
    expect(response?.status()).toBe(403);
    expect(await page.textContent('#message')).toBe(
      'Sorry, your organization has disabled that sign in method. Please check with your administrator',
    );
    await page.close();
  });
});
