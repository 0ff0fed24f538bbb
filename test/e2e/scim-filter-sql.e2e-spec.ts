import pg from 'pg';
import {
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from '../../src/database/embedded-postgres.js';
import { ScimError } from '../../src/scim/protocol/scim-error.js';
import {
  FilterSchema,
  SqlParams,
  translateFilter,
} from '../../src/scim/protocol/filter/filter-sql.js';
import { SERVER_URL, usingEmbeddedDatabase } from '../support/test-database.js';

/**
 * The SQL translateFilter writes, run by PostgreSQL on TEMP tables (one session, nothing left
 * behind): each filter returns exactly the rows SCIM says it matches.
 */
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const users: FilterSchema = {
  coreSchemaUrn: 'urn:ietf:params:scim:schemas:core:2.0:User',
  extensionUrns: [ENTERPRISE],
  attributes: {
    id: { kind: 'scalar', sql: 'u.id', type: 'string', caseExact: true },
    userName: { kind: 'scalar', sql: 'coalesce(u.scim_user_name, u.email)', type: 'string' },
    externalId: { kind: 'scalar', sql: 'u.external_id', type: 'string', caseExact: true },
    active: { kind: 'scalar', sql: 'u.active', type: 'boolean' },
    loginCount: { kind: 'scalar', sql: 'u.login_count', type: 'integer' },
    quota: { kind: 'scalar', sql: 'u.quota', type: 'decimal' },
    'meta.lastModified': { kind: 'scalar', sql: 'u.updated_at', type: 'dateTime' },
    'name.givenName': { kind: 'scalar', sql: "u.scim_data->'name'->>'givenName'", type: 'string' },
    [`${ENTERPRISE}:employeeNumber`]: {
      kind: 'scalar',
      sql: "u.scim_data->>'employeeNumber'",
      type: 'string',
    },
    emails: {
      kind: 'multi',
      jsonArraySql: "u.scim_data->'emails'",
      subAttributes: {
        value: { type: 'string' },
        type: { type: 'string' },
        primary: { type: 'boolean' },
      },
      defaultSubAttribute: 'value',
    },
  },
};

const groups: FilterSchema = {
  coreSchemaUrn: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  attributes: {
    id: { kind: 'scalar', sql: 'g.id', type: 'string', caseExact: true },
    displayName: { kind: 'scalar', sql: 'g.display_name', type: 'string' },
    externalId: { kind: 'scalar', sql: 'g.external_id', type: 'string', caseExact: true },
    members: {
      kind: 'exists',
      subAttributes: { value: { type: 'string', caseExact: true }, display: { type: 'string' } },
      columns: { value: 'gm.user_id', display: 'coalesce(mu.scim_user_name, mu.email)' },
      exists: (condition) =>
        `EXISTS (SELECT 1 FROM scim_group_members gm JOIN scim_users mu ON mu.id = gm.user_id WHERE gm.group_id = g.id AND ${condition})`,
      defaultSubAttribute: 'value',
    },
  },
};

const SETUP = String.raw`
CREATE TEMP TABLE scim_users (
  id text PRIMARY KEY, email text NOT NULL, scim_user_name text, external_id text,
  active boolean, login_count integer, quota numeric, updated_at timestamptz, scim_data jsonb
);
CREATE TEMP TABLE scim_groups (id text PRIMARY KEY, display_name text NOT NULL, external_id text);
CREATE TEMP TABLE scim_group_members (group_id text NOT NULL, user_id text NOT NULL);
INSERT INTO scim_users VALUES
  ('alice', 'alice@example.com', 'Alice@Example.com', 'EXT-1', true, 5, 1.5, '2024-01-10T10:00:00Z',
   '{"name": {"givenName": "Alice"}, "employeeNumber": "701", "emails": [
      {"value": "alice@work.com", "type": "work", "primary": true},
      {"value": "alice@home.net", "type": "home"}]}'),
  ('bob', 'bob@example.com', 'bob_smith', 'ext-2', false, 0, NULL, '2024-03-01T00:00:00Z',
   '{"name": {"givenName": "Bob"}, "emails": [
      {"value": "bob@home.net", "type": "home", "primary": true},
      {"value": "BOB@work.com", "type": "work", "primary": false}]}'),
  ('carol', 'carol@example.com', 'carol%100', NULL, NULL, NULL, 10.25, NULL, '{"emails": []}'),
  ('dave', 'dave@example.com', 'dave\x', 'ext-1', true, 12, NULL, '2024-01-10T10:00:00.5Z',
   '{"emails": "not an array", "employeeNumber": "702"}'),
  ('erin', 'erin@example.com', '', NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO scim_groups VALUES ('g1', 'Admins', 'G-1'), ('g2', 'Everyone', NULL), ('g3', 'Empty', NULL);
INSERT INTO scim_group_members VALUES
  ('g1', 'alice'), ('g1', 'bob'), ('g2', 'alice'), ('g2', 'bob'), ('g2', 'carol');
`;

const ALL_USERS = ['alice', 'bob', 'carol', 'dave', 'erin'];
const ALL_GROUPS = ['g1', 'g2', 'g3'];

const userFilters: [string, string[]][] = [
  ['userName eq "alice@example.com"', ['alice']],
  ['USERNAME eq "ALICE@EXAMPLE.COM"', ['alice']],
  ['urn:ietf:params:scim:schemas:core:2.0:User:userName sw "B"', ['bob']],
  ['userName ne "alice@example.com"', ['bob', 'carol', 'dave', 'erin']],
  ['userName co "_"', ['bob']],
  ['userName co "%"', ['carol']],
  ['userName sw "dave\\\\"', ['dave']],
  ['userName ew "100"', ['carol']],
  ['userName gt "c"', ['carol', 'dave']],
  ['userName pr', ['alice', 'bob', 'carol', 'dave']],
  ['not (userName pr)', ['erin']],
  ['externalId eq "EXT-1"', ['alice']],
  ['externalId eq "ext-1"', ['dave']],
  ['externalId sw "ext"', ['bob', 'dave']],
  ['externalId ne "EXT-1"', ['bob', 'carol', 'dave', 'erin']],
  ['active eq true', ['alice', 'dave']],
  ['active eq "False"', ['bob']],
  ['active ne true', ['bob', 'carol', 'erin']],
  ['not (active eq true)', ['bob', 'carol', 'erin']],
  ['active pr', ['alice', 'bob', 'dave']],
  ['loginCount gt 4', ['alice', 'dave']],
  ['loginCount le 5', ['alice', 'bob']],
  ['not (loginCount gt 4)', ['bob', 'carol', 'erin']],
  ['quota ge 10', ['carol']],
  ['quota lt 2', ['alice']],
  ['meta.lastModified gt "2024-02-01T00:00:00Z"', ['bob']],
  ['meta.lastModified lt "2024-01-10T11:00:00+01:00"', []],
  ['meta.lastModified le "2024-01-10T11:00:00+01:00"', ['alice']],
  ['meta.lastModified gt "2024-01-10T10:00:00"', ['bob', 'dave']],
  ['name.givenName sw "a"', ['alice']],
  [`${ENTERPRISE}:employeeNumber pr`, ['alice', 'dave']],
  ['emails eq "bob@work.com"', ['bob']],
  ['emails co "@work"', ['alice', 'bob']],
  ['emails[type eq "work" and primary eq true]', ['alice']],
  ['emails[type eq "work"].value co "bob"', ['bob']],
  ['emails[type eq "home"].value co "alice@work"', []],
  ['emails[type eq "home"] and emails.value co "alice@work"', ['alice']],
  ['emails[primary eq true].type eq "home"', ['bob']],
  ['emails.primary eq false', ['bob']],
  ['emails[not (primary eq true)]', ['alice', 'bob']],
  ['emails pr', ['alice', 'bob']],
  ['not (emails pr)', ['carol', 'dave', 'erin']],
  ['userName eq "alice@example.com" or (active eq false and loginCount eq 0)', ['alice', 'bob']],
  ['not (userName eq "alice@example.com" or active eq true)', ['bob', 'carol', 'erin']],
];

const groupFilters: [string, string[]][] = [
  ['displayName eq "admins"', ['g1']],
  ['externalId eq "G-1"', ['g1']],
  ['members[value eq "carol"]', ['g2']],
  ['members eq "alice"', ['g1', 'g2']],
  ['members pr', ['g1', 'g2']],
  ['not (members pr)', ['g3']],
  ['id eq "g1" and members[value eq "bob"]', ['g1']],
  ['members[display co "%"]', ['g2']],
  ['members[value eq "bob"].display sw "alice"', []],
  ['members[value eq "bob"] and members.display sw "alice"', ['g1', 'g2']],
];

describe('SCIM filters run by PostgreSQL', () => {
  let client: pg.Client;
  let embedded: EmbeddedPostgres | undefined;

  beforeAll(async () => {
    embedded = usingEmbeddedDatabase() ? await startEmbeddedPostgres() : undefined;
    client = new pg.Client({ connectionString: embedded?.url ?? SERVER_URL });
    await client.connect();
    await client.query(SETUP);
  });

  afterAll(async () => {
    await client?.end();
    await embedded?.stop();
  });

  async function ids(table: 'users' | 'groups', filter: string): Promise<string[]> {
    const params = new SqlParams();
    const where = translateFilter(filter, table === 'users' ? users : groups, params);
    const from = table === 'users' ? 'scim_users u' : 'scim_groups g';
    const alias = table === 'users' ? 'u' : 'g';
    const { rows } = await client.query<{ id: string }>(
      `SELECT ${alias}.id FROM ${from} WHERE ${where} ORDER BY ${alias}.id`,
      params.values,
    );
    return rows.map((row) => row.id);
  }

  it.each(userFilters)('users: %s', async (filter, expected) => {
    expect(await ids('users', filter)).toEqual(expected);
  });

  it.each(groupFilters)('groups: %s', async (filter, expected) => {
    expect(await ids('groups', filter)).toEqual(expected);
  });

  it('not (F) returns exactly the rows F does not, for generated filters', async () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.floor((seed / 2 ** 31) * n);
    };
    const pick = <T>(items: T[]): T => items[random(items.length)] as T;
    const comparisons = [
      ...['userName eq "bob_smith"', 'userName co "a"', 'userName ne ""', 'userName lt "c"'],
      ...['externalId sw "ext"', 'active eq true', 'active ne false', 'loginCount ge 5'],
      ...['quota gt 1', 'meta.lastModified lt "2024-02-01T00:00:00Z"', 'name.givenName ew "b"'],
      ...[
        'emails.type eq "work"',
        'emails[primary eq true]',
        'emails[type eq "home"].value co "a"',
      ],
      ...['emails pr', 'userName pr', 'active pr', 'quota pr', 'emails ne "alice@work.com"'],
      ...[
        'emails[not (primary eq false) and type eq "work"]',
        `${ENTERPRISE}:employeeNumber gt "701"`,
      ],
    ];
    const expression = (depth: number): string => {
      switch (depth > 2 ? 0 : random(4)) {
        case 0:
          return pick(comparisons);
        case 1:
          return `${expression(depth + 1)} and ${expression(depth + 1)}`;
        case 2:
          return `(${expression(depth + 1)} or ${expression(depth + 1)})`;
        default:
          return `not (${expression(depth + 1)})`;
      }
    };
    for (let n = 0; n < 150; n++) {
      const filter = expression(0);
      const matching = await ids('users', filter);
      const others = await ids('users', `not (${filter})`);
      expect({ filter, rows: [...matching, ...others].sort() }).toEqual({
        filter,
        rows: ALL_USERS,
      });
    }
  });

  it('rejects what it cannot translate before PostgreSQL sees it', async () => {
    await expect(ids('users', 'password eq "x"')).rejects.toBeInstanceOf(ScimError);
    await expect(ids('groups', 'members[value eq "x"')).rejects.toBeInstanceOf(ScimError);
    expect(await ids('groups', 'displayName pr')).toEqual(ALL_GROUPS);
  });
});
