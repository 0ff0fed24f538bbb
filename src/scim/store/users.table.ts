/**
 * Where SCIM Users live: a membership of the workspace joined with its person (memberships m
 * JOIN users u). The row a read returns, the columns filters and sorting may name (an
 * allow-list: any other attribute is invalidFilter), and the table findPage pages.
 */
import type { FilterSchema } from '../protocol/filter/filter-sql.js';
import type { Json } from '../protocol/list-query.js';
import { ENTERPRISE_USER_SCHEMA, GATEHOUSE_USER_SCHEMA, USER_SCHEMA } from '../protocol/schemas.js';
import { type ScimTable, USER_PAGING } from './scim-page.js';
import { asShown, text } from './sql-attributes.js';

/** Over `memberships m JOIN users u`: scim_data's value at `path` when it is a filled string. */
const stored = (path: string) =>
  `(CASE WHEN jsonb_typeof(m.scim_data #> '{${path}}') = 'string' AND (m.scim_data #>> '{${path}}') ~ '\\S' THEN m.scim_data #>> '{${path}}' END)`;
const filledSql = (sql: string) => `(CASE WHEN ${sql} ~ '\\S' THEN ${sql} END)`;
const BASE_SQL = `regexp_replace(coalesce(${stored('name,formatted')}, ${filledSql('u.full_name')}, ${stored('displayName')}, regexp_replace(u.email, '@[^@]*$', '')), '^\\s+|\\s+$', '', 'g')`;

/** The SQL of each derived attribute (protocol/user-name.ts's rules), for filters and sorting. */
export const USER_NAME_SQL = {
  formatted: `coalesce(${stored('name,formatted')}, ${BASE_SQL})`,
  familyName: `coalesce(${stored('name,familyName')}, substring(${BASE_SQL} from '\\S+$'))`,
  givenName: `coalesce(${stored('name,givenName')}, regexp_replace(${BASE_SQL}, '\\s+\\S+$', ''))`,
  displayName: `coalesce(${stored('displayName')}, ${filledSql('u.full_name')}, ${BASE_SQL})`,
};

const USER_EMAILS_SQL = `coalesce(m.scim_data->'emails', jsonb_build_array(jsonb_build_object('value', u.email, 'type', 'work', 'primary', true)))`;

export const USER_FILTER_SCHEMA: FilterSchema = {
  coreSchemaUrn: USER_SCHEMA,
  extensionUrns: [ENTERPRISE_USER_SCHEMA, GATEHOUSE_USER_SCHEMA],
  attributes: {
    id: text('m.user_id::text', true),
    // lower(coalesce(scim_user_name, email)), kept by a trigger; memberships_user_name_key.
    userName: { ...text('m.user_name_key'), lowerCased: true },
    externalId: text('m.scim_external_id', true),
    displayName: text(USER_NAME_SQL.displayName),
    'name.givenName': text(USER_NAME_SQL.givenName),
    'name.familyName': text(USER_NAME_SQL.familyName),
    'name.formatted': text(USER_NAME_SQL.formatted),
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
    'meta.created': { kind: 'scalar', type: 'dateTime', sql: asShown('m.created_at') },
    'meta.lastModified': {
      kind: 'scalar',
      type: 'dateTime',
      sql: asShown('greatest(m.updated_at, u.updated_at)'),
    },
    [`${ENTERPRISE_USER_SCHEMA}:employeeNumber`]: text(
      `m.scim_data->'${ENTERPRISE_USER_SCHEMA}'->>'employeeNumber'`,
    ),
    [`${ENTERPRISE_USER_SCHEMA}:department`]: text(
      `m.scim_data->'${ENTERPRISE_USER_SCHEMA}'->>'department'`,
    ),
  },
};

/** sortBy → SQL, for the indexed attributes. */
export const USER_SORT: Record<string, string> = {
  id: 'm.user_id',
  username: 'm.user_name_key',
  externalid: 'm.scim_external_id',
  displayname: `lower(${USER_NAME_SQL.displayName})`,
  'name.givenname': `lower(${USER_NAME_SQL.givenName})`,
  'name.familyname': `lower(${USER_NAME_SQL.familyName})`,
  'name.formatted': `lower(${USER_NAME_SQL.formatted})`,
  title: `lower(m.scim_data->>'title')`,
  active: `(m.status = 'active')`,
  // A multi-valued attribute sorts by its primary value (RFC 7644 §3.4.2.3): the user's email.
  emails: 'u.email',
  'emails.value': 'u.email',
  'meta.created': 'm.created_at',
  'meta.lastmodified': 'greatest(m.updated_at, u.updated_at)',
};

/** A SCIM User: a membership with its person. */
export interface ScimUserRow {
  user_id: string;
  scim_user_name: string | null;
  scim_external_id: string | null;
  scim_data: Json | null;
  status: string;
  email: string;
  full_name: string | null;
  created_at: Date;
  last_modified: Date;
  /** bigint, as text: the User's version is made of both (an email change moves it too). */
  membership_version: string;
  user_version: string;
}

/** The SCIM User's groups, when the read asks for them. */
export interface ScimUserGroup {
  id: string;
  display_name: string;
}

export const SCIM_USER_COLUMNS = `m.user_id, m.scim_user_name, m.scim_external_id, m.scim_data, m.status,
  u.email, u.full_name, m.created_at, greatest(m.updated_at, u.updated_at) AS last_modified,
  m.version AS membership_version, u.version AS user_version`;

/** A SCIM User's groups as a JSON array, in the order of their names (one subquery per row). */
export const SCIM_USER_GROUPS = `(SELECT coalesce(json_agg(json_build_object('id', g.id, 'display_name', g.display_name)
                                  ORDER BY lower(g.display_name)), '[]')
            FROM group_members gm JOIN groups g ON g.id = gm.group_id
           WHERE gm.workspace_id = m.workspace_id AND gm.user_id = m.user_id)`;

/** SCIM Users of a workspace, as findPage filters, sorts and pages them. */
export const USERS: ScimTable = {
  resourceType: 'User',
  from: 'memberships m JOIN users u ON u.id = m.user_id',
  columns: SCIM_USER_COLUMNS,
  workspaceColumn: 'm.workspace_id',
  coreSchemaUrn: USER_SCHEMA,
  filterSchema: USER_FILTER_SCHEMA,
  sort: USER_SORT,
  defaultOrder: 'm.created_at, m.user_id',
  tieBreaker: 'm.user_id',
  // Every membership has its user (foreign key): a filter and order on m alone need no join.
  keys: { from: 'memberships m', key: 'm.user_id', joined: /\bu\./ },
  paging: USER_PAGING,
};

/** USERS with each User's groups, read in the page's own statement (no second round trip). */
export const USERS_WITH_GROUPS: ScimTable = {
  ...USERS,
  columns: `${SCIM_USER_COLUMNS}, ${SCIM_USER_GROUPS} AS groups`,
};
