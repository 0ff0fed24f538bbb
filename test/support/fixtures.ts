import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { TestApp } from './test-app.js';

export const PASSWORD = 'correct horse battery staple';

export interface WorkspaceFixture {
  id: string;
  slug: string;
  adminId: string;
  adminEmail: string;
  /** Cookie header of a signed-in session of the admin. */
  adminCookie: string;
}

export function uniqueSlug(prefix = 'ws'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * Inserts a bare workspace row straight into the database (no admin): for tests that seed the
 * tables in bulk. Returns its id.
 */
export async function insertWorkspaceRow(ds: DataSource, slug = uniqueSlug()): Promise<string> {
  const [row] = await ds.query<{ id: string }[]>(
    `INSERT INTO workspaces (slug, name) VALUES ($1, $1) RETURNING id`,
    [slug],
  );
  return row!.id;
}

/** Creates a workspace (internal token) with a first admin who has a password. */
export async function createWorkspace(
  t: TestApp,
  options: { slug?: string; adminEmail?: string } = {},
): Promise<Omit<WorkspaceFixture, 'adminCookie'>> {
  const slug = options.slug ?? uniqueSlug();
  const adminEmail = options.adminEmail ?? `admin@${slug}.example.com`;
  const res = await t.http
    .post('/api/workspaces')
    .set('Authorization', t.internal)
    .send({
      name: `Workspace ${slug}`,
      slug,
      firstAdmin: { email: adminEmail, password: PASSWORD },
    });
  if (res.status !== 201) throw new Error(`create workspace: ${res.status} ${res.text}`);
  const members = await t.http
    .get(`/api/workspaces/${slug}/members`)
    .set('Authorization', t.internal);
  const admin = (members.body.items as { userId: string; email: string }[])[0]!;
  return { id: res.body.id, slug, adminId: admin.userId, adminEmail };
}

/** Signs in with a password; returns the Cookie header for later requests. */
export async function signIn(
  t: TestApp,
  workspace: string,
  email: string,
  password = PASSWORD,
): Promise<string> {
  const res = await t.http.post('/auth/password/login').send({ workspace, email, password });
  if (res.status !== 200) throw new Error(`sign in: ${res.status} ${res.text}`);
  const setCookie = res.headers['set-cookie'] as unknown as string[];
  return setCookie.map((c) => c.split(';')[0]).join('; ');
}

export async function workspaceWithSignedInAdmin(t: TestApp): Promise<WorkspaceFixture> {
  const ws = await createWorkspace(t);
  return { ...ws, adminCookie: await signIn(t, ws.slug, ws.adminEmail) };
}

/** Adds a member (internal token), giving a new person the fixture password; returns the user id. */
export async function addMember(
  t: TestApp,
  workspace: string,
  email: string,
  role: 'admin' | 'member' = 'member',
): Promise<string> {
  const path = `/api/workspaces/${workspace}/members`;
  let res = await t.http
    .post(path)
    .set('Authorization', t.internal)
    .send({ email, role, password: PASSWORD });
  if (res.status === 409 && res.body.code === 'PASSWORD_ALREADY_SET') {
    // A person who already has an account (in another workspace) keeps their password.
    res = await t.http.post(path).set('Authorization', t.internal).send({ email, role });
  }
  if (res.status !== 201) throw new Error(`add member: ${res.status} ${res.text}`);
  return res.body.userId as string;
}

/** Claims `domain` for the workspace and verifies it with the internal token's force. */
export async function verifyDomain(t: TestApp, workspace: string, domain: string): Promise<void> {
  await t.http
    .post(`/api/workspaces/${workspace}/domains`)
    .set('Authorization', t.internal)
    .send({ domain })
    .expect(201);
  await t.http
    .post(`/api/workspaces/${workspace}/domains/${domain}/verify`)
    .set('Authorization', t.internal)
    .send({ force: true })
    .expect(200);
}
