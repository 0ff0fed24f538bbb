/**
 * SCIM discovery as strict clients read it: /Schemas, /ResourceTypes and /ServiceProviderConfig
 * checked against RFC 7643 §5–§7 (test/support/scim-rfc7643.ts, an allow-list per object kind),
 * with the RFC's descriptions, canonical values and reference types, and every attribute a User
 * or Group resource carries declared in the schemas.
 */
import {
  checkListResponse,
  checkResourceTypes,
  checkSchemas,
  checkServiceProviderConfig,
} from '../support/scim-rfc7643.js';
import {
  ENTERPRISE,
  GROUP_SCHEMA,
  oktaUser,
  scimWorkspace,
  type ScimWorkspace,
  USER_SCHEMA,
} from '../support/scim-fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

const GATEHOUSE_USER = 'urn:ietf:params:scim:schemas:extension:gatehouse:2.0:User';
const GATEHOUSE_GROUP = 'urn:ietf:params:scim:schemas:extension:gatehouse:2.0:Group';

type Body = Record<string, unknown>;
interface Attr {
  name: string;
  type: string;
  description?: string;
  canonicalValues?: string[];
  referenceTypes?: string[];
  subAttributes?: Attr[];
  [key: string]: unknown;
}
interface Schema {
  id: string;
  name: string;
  description?: string;
  attributes: Attr[];
}

/** A valid Schema resource to break, one fault at a time, in the checker's own test. */
const goodSchema = () => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
  id: 'urn:example:Thing',
  name: 'Thing',
  description: 'A thing',
  attributes: [
    {
      name: 'link',
      type: 'reference',
      referenceTypes: ['external'],
      multiValued: false,
      description: 'A link.',
      required: false,
      caseExact: false,
      mutability: 'readWrite',
      returned: 'default',
      uniqueness: 'none',
    } as Body,
  ],
  meta: { resourceType: 'Schema', location: 'https://h.test/scim/v2/Schemas/urn:example:Thing' },
});

describe('SCIM discovery (RFC 7643 §5–§7)', () => {
  let t: TestApp;
  let ws: ScimWorkspace;
  beforeAll(async () => {
    t = await startTestApp();
    ws = await scimWorkspace(t);
  });
  afterAll(() => t.close());

  const get = (path: string) =>
    t.http.get(`/scim/v2${path}`).set('Authorization', ws.auth).expect(200);

  async function discovery() {
    const schemas = (await get('/Schemas')).body;
    const types = (await get('/ResourceTypes')).body;
    const all = schemas.Resources as Schema[];
    return {
      schemas,
      types,
      all,
      byId: (id: string) => all.find((s) => s.id === id)!,
      context: { resourceTypes: (types.Resources as { name: string }[]).map((r) => r.name) },
    };
  }

  /** The attribute at a dotted path of a schema (`members.$ref`). */
  function attr(schema: Schema, path: string): Attr {
    const [first, ...rest] = path.split('.');
    let found = schema.attributes.find((a) => a.name === first);
    for (const part of rest) found = found?.subAttributes?.find((a) => a.name === part);
    if (!found) throw new Error(`${schema.id} does not declare ${path}`);
    return found;
  }

  it('the checker refuses what RFC 7643 refuses', () => {
    const context = { resourceTypes: ['User', 'Group'] };
    expect(checkSchemas([goodSchema()], context)).toEqual([]);
    const broken = (change: (attribute: Body) => void, top: Body = {}) => {
      const schema = { ...goodSchema(), ...top };
      change(schema.attributes[0]!);
      return checkSchemas([schema], context).join('\n');
    };
    expect(broken((a) => delete a.referenceTypes)).toMatch(/reference without referenceTypes/);
    expect(broken((a) => (a.referenceTypes = ['Widget']))).toMatch(/referenceTypes/);
    expect(broken((a) => delete a.uniqueness)).toMatch(/uniqueness/);
    expect(broken((a) => delete a.caseExact)).toMatch(/without caseExact/);
    expect(broken((a) => delete a.description)).toMatch(/description/);
    expect(broken((a) => (a.returned = 'sometimes'))).toMatch(/returned/);
    expect(broken((a) => (a.type = 'text'))).toMatch(/type/);
    expect(broken((a) => (a.maxLength = 10))).toMatch(/maxLength/);
    expect(broken((a) => Object.assign(a, { type: 'complex', referenceTypes: undefined }))).toMatch(
      /complex without subAttributes/,
    );
    expect(
      broken((a) =>
        Object.assign(a, {
          type: 'complex',
          referenceTypes: undefined,
          subAttributes: [{ ...a, name: 'inner', type: 'complex', referenceTypes: undefined }],
        }),
      ),
    ).toMatch(/complex sub-attribute/);
    expect(broken(() => undefined, { vendorKey: true })).toMatch(/vendorKey/);
    expect(broken(() => undefined, { description: undefined })).toMatch(/description/);

    const types = [
      {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
        id: 'Thing',
        name: 'Thing',
        endpoint: '/Things',
        schema: 'urn:example:Other',
        meta: { resourceType: 'ResourceType', location: 'https://h.test/ResourceTypes/Thing' },
      },
    ];
    expect(checkResourceTypes(types, ['urn:example:Thing']).join('\n')).toMatch(/schema/);

    const config = {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
      filter: { supported: true, maxResults: 10 },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: true },
      authenticationSchemes: [{ type: 'oauthbearertoken', name: 'Bearer', description: 'Token' }],
      meta: {
        resourceType: 'ServiceProviderConfig',
        location: 'https://h.test/ServiceProviderConfig',
      },
    };
    expect(checkServiceProviderConfig(config)).toEqual([]);
    expect(
      checkServiceProviderConfig({
        ...config,
        'urn:ietf:params:scim:schemas:extension:gatehouse:2.0:Paging': { maxCount: 10 },
      }).join('\n'),
    ).toMatch(/Paging/);
    expect(
      checkServiceProviderConfig({ ...config, filter: { supported: true } }).join('\n'),
    ).toMatch(/maxResults/);
  });

  it('every Schema resource, listed and by id, is valid per RFC 7643 §7', async () => {
    const { schemas, all, context } = await discovery();
    expect(checkListResponse(schemas)).toEqual([]);
    expect(all.map((s) => s.id).sort()).toEqual(
      [USER_SCHEMA, ENTERPRISE, GATEHOUSE_USER, GROUP_SCHEMA, GATEHOUSE_GROUP].sort(),
    );
    expect(checkSchemas(all, context)).toEqual([]);
    for (const listed of all) {
      const one = await get(`/Schemas/${listed.id}`);
      expect(checkSchemas([one.body], context)).toEqual([]);
      expect(one.body).toEqual(listed);
    }
  });

  it('every ResourceType, listed and by name, is valid per RFC 7643 §6', async () => {
    const { types, all } = await discovery();
    expect(checkListResponse(types)).toEqual([]);
    const ids = all.map((s) => s.id);
    expect(checkResourceTypes(types.Resources, ids)).toEqual([]);
    for (const listed of types.Resources as { name: string }[]) {
      const one = await get(`/ResourceTypes/${listed.name}`);
      expect(checkResourceTypes([one.body], ids)).toEqual([]);
      expect(one.body).toEqual(listed);
    }
  });

  it('ServiceProviderConfig holds only what RFC 7643 §5 defines; the page limit is filter.maxResults', async () => {
    const res = await get('/ServiceProviderConfig');
    expect(checkServiceProviderConfig(res.body)).toEqual([]);
    expect(res.body.filter).toEqual({ supported: true, maxResults: 1000 });
    // The bulk body limit a colleague advertised stays.
    expect(res.body.bulk.maxPayloadSize).toBe(5 * 1024 * 1024);
  });

  it('references say what they reference', async () => {
    const { byId } = await discovery();
    const user = byId(USER_SCHEMA);
    expect(attr(user, 'profileUrl').referenceTypes).toEqual(['external']);
    expect(attr(user, 'photos.value').referenceTypes).toEqual(['external']);
    expect(attr(user, 'groups.$ref').referenceTypes).toEqual(['Group']);
    expect(attr(byId(GROUP_SCHEMA), 'members.$ref').referenceTypes).toEqual(['User', 'Group']);
    expect(attr(byId(ENTERPRISE), 'manager.$ref').referenceTypes).toEqual(['User']);
  });

  it("carries RFC 7643 §8.7.1's descriptions and canonical values", async () => {
    const { byId, all } = await discovery();
    const user = byId(USER_SCHEMA);
    const group = byId(GROUP_SCHEMA);
    expect(user.description).toBe('User Account');
    expect(group.description).toBe('Group');
    expect(byId(ENTERPRISE).description).toBe('Enterprise User');
    expect(attr(user, 'userName').description).toMatch(
      /^Unique identifier for the User, typically used by the user to directly authenticate to the service provider\./,
    );
    expect(attr(user, 'name.familyName').description).toBe(
      "The family name of the User, or last name in most Western languages (e.g., 'Jensen' given the full name 'Ms. Barbara J Jensen, III').",
    );
    expect(attr(user, 'active').description).toBe(
      "A Boolean value indicating the User's administrative status.",
    );
    expect(attr(group, 'displayName').description).toBe(
      'A human-readable name for the Group. REQUIRED.',
    );
    expect(attr(byId(ENTERPRISE), 'costCenter').description).toBe(
      'Identifies the name of a cost center.',
    );
    expect(attr(user, 'emails.type').canonicalValues).toEqual(['work', 'home', 'other']);
    expect(attr(user, 'phoneNumbers.type').canonicalValues).toEqual([
      'work',
      'home',
      'mobile',
      'fax',
      'pager',
      'other',
    ]);
    expect(attr(user, 'ims.type').canonicalValues).toEqual([
      'aim',
      'gtalk',
      'icq',
      'xmpp',
      'msn',
      'skype',
      'qq',
      'yahoo',
    ]);
    expect(attr(user, 'photos.type').canonicalValues).toEqual(['photo', 'thumbnail']);
    expect(attr(user, 'addresses.type').canonicalValues).toEqual(['work', 'home', 'other']);
    expect(attr(user, 'groups.type').canonicalValues).toEqual(['direct', 'indirect']);
    expect(attr(group, 'members.type').canonicalValues).toEqual(['User', 'Group']);
    // No attribute anywhere without its own description.
    const undescribed = all.flatMap((s) =>
      s.attributes.flatMap((a) =>
        [a, ...(a.subAttributes ?? [])].filter((x) => !x.description?.trim()).map((x) => x.name),
      ),
    );
    expect(undescribed).toEqual([]);
  });

  it('declares every attribute a User and a Group resource carries', async () => {
    const { byId } = await discovery();
    const email = `declared.${Date.now()}@discovery.test`;
    const user = await t.http
      .post('/scim/v2/Users')
      .set('Authorization', ws.auth)
      .set('Content-Type', 'application/scim+json')
      .send(
        JSON.stringify(
          oktaUser(email, {
            schemas: [USER_SCHEMA, ENTERPRISE, GATEHOUSE_USER],
            nickName: 'Ada',
            title: 'Countess',
            profileUrl: 'https://example.com/ada',
            photos: [{ value: 'https://example.com/ada.png', type: 'photo' }],
            phoneNumbers: [{ value: '+44 20 0000 0000', type: 'work', primary: true }],
            addresses: [{ locality: 'London', country: 'GB', type: 'home' }],
            roles: [{ value: 'reader', display: 'Reader', type: 'app', primary: false }],
            [ENTERPRISE]: { employeeNumber: '1815', manager: { value: 'boss' } },
            [GATEHOUSE_USER]: { role: 'member' },
          }),
        ),
      )
      .expect(201);
    const group = await t.http
      .post('/scim/v2/Groups')
      .set('Authorization', ws.auth)
      .set('Content-Type', 'application/scim+json')
      .send(
        JSON.stringify({
          schemas: [GROUP_SCHEMA],
          displayName: `Declared ${Date.now()}`,
          members: [{ value: user.body.id }],
        }),
      )
      .expect(201);
    const read = (await get(`/Users/${user.body.id}`)).body as Body;

    /** Keys of `resource` its schemas do not declare (common attributes of §3.1 aside). */
    function undeclared(resource: Body, core: string): string[] {
      const common = ['schemas', 'id', 'externalId', 'meta'];
      const walk = (value: Body, attrs: Attr[], prefix: string): string[] =>
        Object.entries(value).flatMap(([key, v]) => {
          const def = attrs.find((a) => a.name.toLowerCase() === key.toLowerCase());
          if (!def) return [`${prefix}${key}`];
          if (def.type !== 'complex') return [];
          const items = (def.multiValued ? v : [v]) as Body[];
          return items.flatMap((item) => walk(item, def.subAttributes!, `${prefix}${key}.`));
        });
      return Object.entries(resource).flatMap(([key, value]) => {
        if (common.includes(key)) return [];
        if (key.startsWith('urn:')) {
          return (resource.schemas as string[]).includes(key)
            ? walk(value as Body, byId(key).attributes, `${key}:`)
            : [key];
        }
        return walk({ [key]: value }, byId(core).attributes, '');
      });
    }
    expect(read.groups).toHaveLength(1);
    expect(undeclared(read, USER_SCHEMA)).toEqual([]);
    expect(undeclared(group.body as Body, GROUP_SCHEMA)).toEqual([]);
  });
});
