import type { FilterSchema } from './filter/scim-filter.js';
import type { AttributeDef, PatchSchema } from './patch/scim-patch.js';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const GATEHOUSE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:gatehouse:2.0:User';
export const GATEHOUSE_GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:extension:gatehouse:2.0:Group';
export const ENTRA_GROUP_SCHEMA =
  'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SEARCH_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

/** Where SCIM clients find this server: PUBLIC_URL/scim/v2. */
export function scimBaseUrl(publicUrl: string): string {
  return `${publicUrl}/scim/v2`;
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

const str = (extra: Partial<AttributeDef> = {}): AttributeDef => ({ type: 'string', ...extra });
const bool: AttributeDef = { type: 'boolean' };
const multiComplex = (sub: Record<string, AttributeDef>): AttributeDef => ({
  type: 'complex',
  multiValued: true,
  subAttributes: sub,
});
const typedValue = {
  value: str(),
  display: str(),
  type: str(),
  primary: bool,
};

/** RFC 7643 §4.1 User, as far as Gatehouse keeps it (everything is stored and returned). */
export const USER_ATTRIBUTES: Record<string, AttributeDef> = {
  userName: str({ required: true }),
  name: {
    type: 'complex',
    subAttributes: {
      formatted: str(),
      familyName: str(),
      givenName: str(),
      middleName: str(),
      honorificPrefix: str(),
      honorificSuffix: str(),
    },
  },
  displayName: str(),
  nickName: str(),
  profileUrl: { type: 'reference' },
  title: str(),
  userType: str(),
  preferredLanguage: str(),
  locale: str(),
  timezone: str(),
  active: bool,
  password: str({ mutability: 'writeOnly' }),
  emails: multiComplex(typedValue),
  phoneNumbers: multiComplex(typedValue),
  ims: multiComplex(typedValue),
  photos: multiComplex({ ...typedValue, value: { type: 'reference' } }),
  addresses: multiComplex({
    formatted: str(),
    streetAddress: str(),
    locality: str(),
    region: str(),
    postalCode: str(),
    country: str(),
    type: str(),
    primary: bool,
  }),
  groups: {
    ...multiComplex({ value: str(), display: str(), type: str(), $ref: { type: 'reference' } }),
    mutability: 'readOnly',
  },
  entitlements: multiComplex(typedValue),
  roles: multiComplex(typedValue),
  x509Certificates: multiComplex(typedValue),
  /** Okta custom attribute for the admin role, sent at the top level. */
  role: str(),
};

export const ENTERPRISE_USER_ATTRIBUTES: Record<string, AttributeDef> = {
  employeeNumber: str(),
  costCenter: str(),
  organization: str(),
  division: str(),
  department: str(),
  manager: {
    type: 'complex',
    subAttributes: { value: str(), $ref: { type: 'reference' }, displayName: str() },
  },
};

export const USER_PATCH_SCHEMA: PatchSchema = {
  coreSchemaUrn: USER_SCHEMA,
  extensionUrns: [ENTERPRISE_USER_SCHEMA, GATEHOUSE_USER_SCHEMA],
  attributes: USER_ATTRIBUTES,
  extensions: {
    [ENTERPRISE_USER_SCHEMA]: ENTERPRISE_USER_ATTRIBUTES,
    [GATEHOUSE_USER_SCHEMA]: { role: str() },
  },
};

export const GROUP_PATCH_SCHEMA: PatchSchema = {
  coreSchemaUrn: GROUP_SCHEMA,
  extensionUrns: [GATEHOUSE_GROUP_SCHEMA, ENTRA_GROUP_SCHEMA],
  attributes: {
    displayName: str({ required: true }),
    members: {
      ...multiComplex({ value: str(), display: str(), type: str(), $ref: { type: 'reference' } }),
      deltaOnly: true,
    },
  },
  extensions: {
    [GATEHOUSE_GROUP_SCHEMA]: { role: str() },
    [ENTRA_GROUP_SCHEMA]: {},
  },
};

/** SQL the filters and sorts read: memberships m JOIN users u. */
const USER_EMAILS_SQL = `coalesce(m.scim_data->'emails', jsonb_build_array(jsonb_build_object('value', u.email, 'type', 'work', 'primary', true)))`;
const text = (sql: string, caseExact = false) =>
  ({ kind: 'scalar', type: 'string', sql, caseExact }) as const;

export const USER_FILTER_SCHEMA: FilterSchema = {
  coreSchemaUrn: USER_SCHEMA,
  extensionUrns: [ENTERPRISE_USER_SCHEMA, GATEHOUSE_USER_SCHEMA],
  attributes: {
    id: text('m.user_id::text', true),
    userName: text('coalesce(m.scim_user_name, u.email)'),
    externalId: text('m.scim_external_id', true),
    displayName: text(`coalesce(m.scim_data->>'displayName', u.full_name)`),
    'name.givenName': text(`m.scim_data->'name'->>'givenName'`),
    'name.familyName': text(`m.scim_data->'name'->>'familyName'`),
    'name.formatted': text(`coalesce(m.scim_data->'name'->>'formatted', u.full_name)`),
    title: text(`m.scim_data->>'title'`),
    userType: text(`m.scim_data->>'userType'`),
    active: { kind: 'scalar', type: 'boolean', sql: `(m.status = 'active')` },
    emails: {
      kind: 'multi',
      jsonArraySql: USER_EMAILS_SQL,
      subAttributes: {
        value: { type: 'string' },
        type: { type: 'string' },
        primary: { type: 'boolean' },
        display: { type: 'string' },
      },
      defaultSubAttribute: 'value',
    },
    roles: {
      kind: 'multi',
      jsonArraySql: `m.scim_data->'roles'`,
      subAttributes: {
        value: { type: 'string', caseExact: true },
        type: { type: 'string' },
        primary: { type: 'boolean' },
        display: { type: 'string' },
      },
      defaultSubAttribute: 'value',
    },
    'meta.created': { kind: 'scalar', type: 'dateTime', sql: 'm.created_at' },
    'meta.lastModified': {
      kind: 'scalar',
      type: 'dateTime',
      sql: 'greatest(m.updated_at, u.updated_at)',
    },
    [`${ENTERPRISE_USER_SCHEMA}:employeeNumber`]: text(
      `m.scim_data->'${ENTERPRISE_USER_SCHEMA}'->>'employeeNumber'`,
    ),
    [`${ENTERPRISE_USER_SCHEMA}:department`]: text(
      `m.scim_data->'${ENTERPRISE_USER_SCHEMA}'->>'department'`,
    ),
  },
};

export const GROUP_FILTER_SCHEMA: FilterSchema = {
  coreSchemaUrn: GROUP_SCHEMA,
  extensionUrns: [GATEHOUSE_GROUP_SCHEMA, ENTRA_GROUP_SCHEMA],
  attributes: {
    id: text('g.id::text', true),
    displayName: text('g.display_name'),
    externalId: text('g.scim_external_id', true),
    members: {
      kind: 'exists',
      subAttributes: { value: { type: 'string', caseExact: true } },
      columns: { value: 'gm.user_id::text' },
      exists: (condition) =>
        `EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = g.id AND ${condition})`,
      defaultSubAttribute: 'value',
    },
    'meta.created': { kind: 'scalar', type: 'dateTime', sql: 'g.created_at' },
    'meta.lastModified': { kind: 'scalar', type: 'dateTime', sql: 'g.updated_at' },
  },
};

/** sortBy → SQL, for the indexed attributes. */
export const USER_SORT: Record<string, string> = {
  id: 'm.user_id',
  username: 'lower(coalesce(m.scim_user_name, u.email))',
  externalid: 'm.scim_external_id',
  displayname: `lower(coalesce(m.scim_data->>'displayName', u.full_name))`,
  'name.givenname': `lower(m.scim_data->'name'->>'givenName')`,
  'name.familyname': `lower(m.scim_data->'name'->>'familyName')`,
  'name.formatted': `lower(coalesce(m.scim_data->'name'->>'formatted', u.full_name))`,
  title: `lower(m.scim_data->>'title')`,
  active: `(m.status = 'active')`,
  // A multi-valued attribute sorts by its primary value (RFC 7644 §3.4.2.3): the user's email.
  emails: 'u.email',
  'emails.value': 'u.email',
  'meta.created': 'm.created_at',
  'meta.lastmodified': 'greatest(m.updated_at, u.updated_at)',
};
export const GROUP_SORT: Record<string, string> = {
  id: 'g.id',
  displayname: 'lower(g.display_name)',
  externalid: 'g.scim_external_id',
  'meta.created': 'g.created_at',
  'meta.lastmodified': 'g.updated_at',
};
