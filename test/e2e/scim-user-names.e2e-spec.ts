/**
 * Users as Okta reads them: every User resource (GET, list, and the answers of POST, PUT and
 * PATCH) carries name.givenName, name.familyName, name.formatted and displayName, derived for
 * members who have only a full name (made by hand, just in time by SAML) or none (the email's
 * local part); what SCIM stored wins; the derived parts are never saved by a write, and filters
 * and sorting see the same values a GET shows.
 */
import { createWorkspace, verifyDomain } from '../support/fixtures.js';
import {
  createProvider,
  idpKeys,
  postToAcs,
  responseFor,
  type ProviderFixture,
} from '../support/saml-fixtures.js';
import {
  oktaUser,
  PATCH_SCHEMA,
  type ScimWorkspace,
  USER_SCHEMA,
} from '../support/scim-fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

type Body = Record<string, unknown>;
interface UserResource {
  id: string;
  userName: string;
  name?: Body;
  displayName?: string;
}

describe('SCIM Users: names as Okta reads them', () => {
  let t: TestApp;
  let ws: ScimWorkspace;
  let idp: ProviderFixture;
  let domain: string;
  /** userName → id of the members the tests read. */
  const ids: Record<string, string> = {};

  const scim = {
    get: (path: string, query: Record<string, string | number> = {}) =>
      t.http.get(`/scim/v2${path}`).query(query).set('Authorization', ws.auth),
    send: (method: 'post' | 'put' | 'patch', path: string, body: unknown) =>
      t.http[method](`/scim/v2${path}`)
        .set('Authorization', ws.auth)
        .set('Content-Type', 'application/scim+json')
        .send(JSON.stringify(body)),
  };

  async function addByHand(local: string, fullName?: string) {
    const res = await t.http
      .post(`/api/workspaces/${ws.slug}/members`)
      .set('Authorization', t.internal)
      .send({ email: `${local}@${domain}`, ...(fullName && { fullName }) })
      .expect(201);
    ids[local] = res.body.userId as string;
  }

  async function fullNameOf(id: string) {
    const [row] = await t.dataSource.query<{ full_name: string | null; scim_data: Body | null }[]>(
      `SELECT u.full_name, m.scim_data FROM users u JOIN memberships m ON m.user_id = u.id
        WHERE u.id = $1 AND m.workspace_id = $2`,
      [id, ws.id],
    );
    return row!;
  }

  beforeAll(async () => {
    t = await startTestApp();
    const base = await createWorkspace(t);
    domain = `${base.slug}.test`;
    const [key] = await idpKeys();
    idp = await createProvider(t, base.slug, { key: key! });
    await verifyDomain(t, base.slug, domain);
    await t.http
      .patch(`/api/workspaces/${base.slug}/settings`)
      .set('Authorization', t.internal)
      .send({ signInMethods: { password: false, office365: false, saml: true } })
      .expect(200);
    const enabled = await t.http
      .post(`/api/workspaces/${base.slug}/scim`)
      .set('Authorization', t.internal)
      .send({ provider: 'okta' })
      .expect(201);
    const token = enabled.body.token as string;
    ws = { ...base, token, auth: `Bearer ${token}` };

    await addByHand('ada', 'Ada King Lovelace');
    await addByHand('cher', 'Cher');
    await addByHand('ada.l');
    // Just in time: a SAML sign-in in the verified domain, with only a display name.
    const signedIn = await postToAcs(
      t,
      idp,
      await responseFor(idp, `grace@${domain}`, {
        attributes: { displayName: 'Grace Brewster Murray Hopper' },
      }),
    );
    expect(signedIn.status).toBe(302);
    const members = await t.http
      .get(`/api/workspaces/${ws.slug}/members?email=grace@`)
      .set('Authorization', t.internal)
      .expect(200);
    expect(members.body.items).toEqual([
      expect.objectContaining({ source: 'saml', fullName: 'Grace Brewster Murray Hopper' }),
    ]);
    ids.grace = members.body.items[0].userId as string;
  });
  afterAll(() => t.close());

  it.each<[string, string, Body, string]>([
    [
      'made by hand with a full name',
      'ada',
      { formatted: 'Ada King Lovelace', givenName: 'Ada King', familyName: 'Lovelace' },
      'Ada King Lovelace',
    ],
    [
      'made just in time by SAML with a display name only',
      'grace',
      {
        formatted: 'Grace Brewster Murray Hopper',
        givenName: 'Grace Brewster Murray',
        familyName: 'Hopper',
      },
      'Grace Brewster Murray Hopper',
    ],
    [
      'with a one-word name (both given and family name)',
      'cher',
      { formatted: 'Cher', givenName: 'Cher', familyName: 'Cher' },
      'Cher',
    ],
    [
      "without a name (the email's local part)",
      'ada.l',
      { formatted: 'ada.l', givenName: 'ada.l', familyName: 'ada.l' },
      'ada.l',
    ],
  ])('GET of a member %s', async (_, who, name, displayName) => {
    const res = await scim.get(`/Users/${ids[who]}`).expect(200);
    expect(res.body.name).toEqual(name);
    expect(res.body.displayName).toBe(displayName);
  });

  it('every user of GET /Users has a given, family and formatted name and a displayName', async () => {
    const res = await scim.get('/Users', { count: 1000 }).expect(200);
    const users = res.body.Resources as UserResource[];
    // The four above and the workspace's first admin (made with an email only).
    expect(users.length).toBeGreaterThanOrEqual(5);
    const lacking = users.filter(
      (u) =>
        ![u.name?.givenName, u.name?.familyName, u.name?.formatted, u.displayName].every(
          (v) => typeof v === 'string' && v.trim() !== '',
        ),
    );
    expect(lacking).toEqual([]);
    const admin = users.find((u) => u.userName === ws.adminEmail)!;
    expect(admin.name).toEqual({ formatted: 'admin', givenName: 'admin', familyName: 'admin' });
  });

  it('stored SCIM values win, sub-attribute by sub-attribute', async () => {
    const jensen = await scim
      .send(
        'post',
        '/Users',
        oktaUser(`bjensen@${domain}`, {
          name: {
            formatted: 'Ms. Barbara J Jensen, III',
            givenName: 'Barbara',
            familyName: 'Jensen',
            honorificSuffix: 'III',
          },
          displayName: 'Babs',
        }),
      )
      .expect(201);
    expect(jensen.body.name).toEqual({
      formatted: 'Ms. Barbara J Jensen, III',
      givenName: 'Barbara',
      familyName: 'Jensen',
      honorificSuffix: 'III',
    });
    expect(jensen.body.displayName).toBe('Babs');
    // Entra may send a given name without a surname: the family name is derived.
    const given = await scim
      .send(
        'post',
        '/Users',
        oktaUser(`augusta@${domain}`, {
          name: { givenName: 'Augusta' },
          displayName: 'Augusta Ada King',
        }),
      )
      .expect(201);
    expect(given.body.name).toEqual({
      formatted: 'Augusta',
      givenName: 'Augusta',
      familyName: 'Augusta',
    });
    expect(given.body.displayName).toBe('Augusta Ada King');
  });

  it('POST, PUT and PATCH answer with the names too', async () => {
    const created = await scim
      .send(
        'post',
        '/Users',
        oktaUser(`countess@${domain}`, { name: undefined, displayName: 'The Countess' }),
      )
      .expect(201);
    expect(created.body.name).toEqual({
      formatted: 'The Countess',
      givenName: 'The',
      familyName: 'Countess',
    });
    expect(created.body.displayName).toBe('The Countess');

    const put = await scim
      .send('put', `/Users/${ids.ada}`, {
        schemas: [USER_SCHEMA],
        userName: `ada@${domain}`,
        emails: [{ value: `ada@${domain}`, type: 'work', primary: true }],
        title: 'Countess',
      })
      .expect(200);
    expect(put.body.name).toEqual({
      formatted: 'Ada King Lovelace',
      givenName: 'Ada King',
      familyName: 'Lovelace',
    });
    expect(put.body.displayName).toBe('Ada King Lovelace');

    const patched = await scim
      .send('patch', `/Users/${ids.grace}`, {
        schemas: [PATCH_SCHEMA],
        Operations: [{ op: 'replace', path: 'title', value: 'Rear Admiral' }],
      })
      .expect(200);
    expect(patched.body).toMatchObject({
      title: 'Rear Admiral',
      name: { givenName: 'Grace Brewster Murray', familyName: 'Hopper' },
      displayName: 'Grace Brewster Murray Hopper',
    });
  });

  it('a write never saves the derived parts: a one-word name stays one word', async () => {
    for (const who of ['cher', 'ada.l']) {
      const before = await fullNameOf(ids[who]!);
      const res = await scim
        .send('patch', `/Users/${ids[who]}`, {
          schemas: [PATCH_SCHEMA],
          Operations: [{ op: 'replace', path: 'active', value: false }],
        })
        .expect(200);
      expect(res.body).toMatchObject({
        active: false,
        name: { givenName: who === 'cher' ? 'Cher' : 'ada.l' },
      });
      const after = await fullNameOf(ids[who]!);
      expect(after.full_name).toBe(before.full_name);
      const stored = (after.scim_data?.name ?? {}) as Body;
      expect([stored.givenName, stored.familyName]).toEqual([undefined, undefined]);
    }
  });

  it('a PUT echoing the derived names of a one-word name keeps one word (as Okta sends back a GET)', async () => {
    const current = (await scim.get(`/Users/${ids.cher}`).expect(200)).body as Body;
    expect(current.name).toMatchObject({ givenName: 'Cher', familyName: 'Cher' });
    const resource: Body = { ...current, title: 'Singer' };
    delete resource.id;
    delete resource.meta;
    await scim.send('put', `/Users/${ids.cher}`, resource).expect(200);
    expect((await fullNameOf(ids.cher!)).full_name).toBe('Cher');
  });

  it('filters and sorting see the names a GET shows', async () => {
    const found = async (filter: string) =>
      ((await scim.get('/Users', { filter }).expect(200)).body.Resources as UserResource[]).map(
        (u) => u.id,
      );
    expect(await found('name.familyName eq "Lovelace"')).toEqual([ids.ada]);
    expect(await found('name.givenName eq "Grace Brewster Murray"')).toEqual([ids.grace]);
    expect(await found('name.familyName eq "ada.l"')).toEqual([ids['ada.l']]);
    expect(await found('name.formatted eq "cher" and displayName eq "CHER"')).toEqual([ids.cher]);
    const sorted = await scim
      .get('/Users', {
        filter: `userName eq "ada@${domain}" or userName eq "grace@${domain}" or userName eq "cher@${domain}"`,
        sortBy: 'name.familyName',
      })
      .expect(200);
    expect((sorted.body.Resources as UserResource[]).map((u) => u.id)).toEqual([
      ids.cher,
      ids.grace,
      ids.ada,
    ]);
  });
});
