import type { TestApp } from './test-app.js';
import { createWorkspace } from './fixtures.js';
import { createProvider, idpKeys } from './saml-fixtures.js';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

export interface ScimWorkspace {
  id: string;
  slug: string;
  adminId: string;
  adminEmail: string;
  token: string;
  /** Bearer header value for SCIM requests. */
  auth: string;
}

/** A workspace with an enabled SAML provider, SAML as its only method, and SCIM on. */
export async function scimWorkspace(t: TestApp, provider = 'okta'): Promise<ScimWorkspace> {
  const ws = await createWorkspace(t);
  const [key] = await idpKeys();
  await createProvider(t, ws.slug, { key: key! });
  await t.http
    .patch(`/api/workspaces/${ws.slug}/settings`)
    .set('Authorization', t.internal)
    .send({ signInMethods: { password: false, office365: false, saml: true } })
    .expect(200);
  const res = await t.http
    .post(`/api/workspaces/${ws.slug}/scim`)
    .set('Authorization', t.internal)
    .send({ provider });
  if (res.status !== 201) throw new Error(`enable scim: ${res.status} ${res.text}`);
  return { ...ws, token: res.body.token as string, auth: `Bearer ${res.body.token as string}` };
}

export function oktaUser(userName: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: [USER_SCHEMA],
    userName,
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: 'Ada Lovelace',
    locale: 'en-US',
    externalId: `00u${userName.length}abc`,
    groups: [],
    password: 'not-stored-1!',
    active: true,
    ...extra,
  };
}
