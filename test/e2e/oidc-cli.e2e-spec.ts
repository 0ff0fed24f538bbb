import { Readable } from 'node:stream';
import type { OutputStream } from '../../src/cli/cli-io.js';
import { runCli } from '../../src/cli/program.js';
import { createWorkspace } from '../support/fixtures.js';
import {
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
  TestOpenIdProvider,
} from '../support/oidc-provider.js';
import { serverEnv } from '../support/server-process.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

class Captured implements OutputStream {
  text = '';
  write(text: string): boolean {
    this.text += text;
    return true;
  }
}

describe('gatehouse oidc:set, oidc:show, oidc:remove', () => {
  let op: TestOpenIdProvider;
  let t: TestApp;

  beforeAll(async () => {
    op = await TestOpenIdProvider.start({ mode: 'plain' });
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
    await op?.close();
  });

  /** Runs a command in this process on the test app's database, with `input` as stdin. */
  async function gatehouse(args: string[], input?: string) {
    const stdout = new Captured();
    const stderr = new Captured();
    const stdin = Readable.from(input === undefined ? [] : [Buffer.from(input)]);
    const env = serverEnv({
      DATABASE_URL: t.config.database.url!,
      PUBLIC_URL: 'http://gatehouse.test',
    });
    const code = await runCli(args, { stdout, stderr, stdin, env });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it('sets the provider with the secret from standard input, shows it without the secret, removes it', async () => {
    const ws = await createWorkspace(t);
    const set = await gatehouse(
      [
        'oidc:set',
        ws.slug,
        '--issuer',
        op.issuer,
        '--client-id',
        TEST_CLIENT_ID,
        '--client-secret-file',
        '-',
        '--json',
      ],
      `${TEST_CLIENT_SECRET}\n`,
    );
    expect({ code: set.code, stderr: set.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(set.stdout)).toMatchObject({
      issuer: op.issuer,
      clientId: TEST_CLIENT_ID,
      clientSecretSet: true,
      redirectUri: 'http://gatehouse.test/auth/oidc/callback',
    });
    expect(set.stdout).not.toContain(TEST_CLIENT_SECRET);

    // The service sees it, with the secret the CLI sealed (same SECRET_KEY).
    const api = await t.http
      .get(`/api/workspaces/${ws.slug}/oidc-provider`)
      .set('Authorization', t.internal)
      .expect(200);
    expect(api.body.issuer).toBe(op.issuer);

    const shown = await gatehouse(['oidc:show', ws.slug]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/client secret:\s+set \(never shown\)/);
    expect(shown.stdout).not.toContain(TEST_CLIENT_SECRET);

    // settings:set has a switch per method of the table, --oidc included.
    const on = await gatehouse(['settings:set', ws.slug, '--oidc', 'on', '--json']);
    expect(on.code).toBe(0);
    expect(JSON.parse(on.stdout).settings.signInMethods).toMatchObject({ oidc: true });
    const off = await gatehouse(['settings:set', ws.slug, '--oidc', 'off', '--password', 'on']);
    expect(off.code).toBe(0);
    expect(off.stdout).toMatch(/sign-in methods:.*oidc off/);

    const removed = await gatehouse(['oidc:remove', ws.slug]);
    expect(removed.code).toBe(0);
    expect((await gatehouse(['oidc:show', ws.slug])).code).toBe(3);
  }, 120_000);

  it('refuses a plain http issuer (exit 2) and saves nothing', async () => {
    const ws = await createWorkspace(t);
    const refused = await gatehouse(
      [
        'oidc:set',
        ws.slug,
        '--issuer',
        'http://idp.example.com',
        '--client-id',
        'x',
        '--client-secret-file',
        '-',
        '--json',
      ],
      'secret',
    );
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stderr).error.code).toBe('OIDC_INVALID_ISSUER');
    await t.http
      .get(`/api/workspaces/${ws.slug}/oidc-provider`)
      .set('Authorization', t.internal)
      .expect(404);
  }, 120_000);
});
