import { ScimError } from '../scim-error.js';
import {
  FilterSchema,
  MAX_FILTER_DEPTH,
  MAX_FILTER_LENGTH,
  SqlParams,
  translateFilter,
} from './filter-sql.js';

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const users: FilterSchema = {
  coreSchemaUrn: CORE_USER,
  extensionUrns: [ENTERPRISE],
  attributes: {
    id: { kind: 'scalar', sql: 'u.id::text', type: 'string', caseExact: true },
    userName: { kind: 'scalar', sql: 'coalesce(m.scim_user_name, u.email)', type: 'string' },
    externalId: { kind: 'scalar', sql: 'm.external_id', type: 'string', caseExact: true },
    displayName: { kind: 'scalar', sql: 'm.display_name', type: 'string' },
    'name.givenName': { kind: 'scalar', sql: "m.scim_data->'name'->>'givenName'", type: 'string' },
    active: { kind: 'scalar', sql: 'm.active', type: 'boolean' },
    loginCount: { kind: 'scalar', sql: 'm.login_count', type: 'integer' },
    quota: { kind: 'scalar', sql: 'm.quota', type: 'decimal' },
    profileUrl: { kind: 'scalar', sql: 'm.profile_url', type: 'reference' },
    certificate: { kind: 'scalar', sql: 'm.certificate', type: 'binary' },
    'meta.lastModified': { kind: 'scalar', sql: 'm.updated_at', type: 'dateTime' },
    [`${ENTERPRISE}:employeeNumber`]: {
      kind: 'scalar',
      sql: "m.scim_data->>'employeeNumber'",
      type: 'string',
    },
    emails: {
      kind: 'multi',
      jsonArraySql: "m.scim_data->'emails'",
      subAttributes: {
        value: { type: 'string' },
        type: { type: 'string' },
        primary: { type: 'boolean' },
        display: { type: 'string' },
      },
      defaultSubAttribute: 'value',
    },
    addresses: {
      kind: 'multi',
      jsonArraySql: "m.scim_data->'addresses'",
      subAttributes: { locality: { type: 'string' }, since: { type: 'dateTime' } },
    },
  },
};

const groups: FilterSchema = {
  coreSchemaUrn: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  attributes: {
    id: { kind: 'scalar', sql: 'g.id::text', type: 'string', caseExact: true },
    externalId: { kind: 'scalar', sql: 'g.external_id', type: 'string', caseExact: true },
    displayName: { kind: 'scalar', sql: 'g.display_name', type: 'string' },
    members: {
      kind: 'exists',
      subAttributes: { value: { type: 'string', caseExact: true }, display: { type: 'string' } },
      columns: { value: 'gm.user_id::text', display: 'mu.email' },
      exists: (condition) =>
        `EXISTS (SELECT 1 FROM group_members gm JOIN users mu ON mu.id = gm.user_id WHERE gm.group_id = g.id AND ${condition})`,
      defaultSubAttribute: 'value',
    },
  },
};

const USER_NAME = 'coalesce(m.scim_user_name, u.email)';
/** "Some email satisfies `where`" (no `where`: some email). */
const emails = (where?: string) =>
  `EXISTS (SELECT 1 FROM jsonb_array_elements(CASE jsonb_typeof(m.scim_data->'emails') WHEN 'array' THEN m.scim_data->'emails' END) AS scim_el(v)${where === undefined ? '' : ` WHERE ${where}`})`;
const PRIMARY =
  "(CASE jsonb_typeof(scim_el.v->'primary') WHEN 'boolean' THEN (scim_el.v->>'primary')::boolean END)";
const members = (condition: string) =>
  `EXISTS (SELECT 1 FROM group_members gm JOIN users mu ON mu.id = gm.user_id WHERE gm.group_id = g.id AND ${condition})`;

interface Translation {
  filter: string;
  sql: string;
  params: unknown[];
  schema?: FilterSchema;
}

function translation(filter: string, sql: string, ...params: unknown[]): Translation {
  return { filter, sql, params };
}
function groupTranslation(filter: string, sql: string, ...params: unknown[]): Translation {
  return { filter, sql, params, schema: groups };
}

const translations: Record<string, Translation[]> = {
  'case-insensitive strings': [
    translation('userName eq "bjensen"', `lower(${USER_NAME}) = lower($1::text)`, 'bjensen'),
    translation(
      'userName ne "bjensen"',
      `lower(${USER_NAME}) IS DISTINCT FROM lower($1::text)`,
      'bjensen',
    ),
    translation('userName co "jen"', `${USER_NAME} ILIKE $1::text ESCAPE '\\'`, '%jen%'),
    translation('userName sw "bj"', `${USER_NAME} ILIKE $1::text ESCAPE '\\'`, 'bj%'),
    translation('userName ew "sen"', `${USER_NAME} ILIKE $1::text ESCAPE '\\'`, '%sen'),
    translation('userName gt "b"', `lower(${USER_NAME}) > lower($1::text)`, 'b'),
    translation('userName ge "b"', `lower(${USER_NAME}) >= lower($1::text)`, 'b'),
    translation('userName lt "b"', `lower(${USER_NAME}) < lower($1::text)`, 'b'),
    translation('userName le "b"', `lower(${USER_NAME}) <= lower($1::text)`, 'b'),
    translation('userName pr', `(${USER_NAME} IS NOT NULL AND ${USER_NAME} <> '')`),
    translation(
      'name.givenName sw "Bar"',
      `(m.scim_data->'name'->>'givenName') ILIKE $1::text ESCAPE '\\'`,
      'Bar%',
    ),
    translation(
      'name.givenName eq "Barbara"',
      `lower(m.scim_data->'name'->>'givenName') = lower($1::text)`,
      'Barbara',
    ),
    translation(
      'name.givenName pr',
      `((m.scim_data->'name'->>'givenName') IS NOT NULL AND (m.scim_data->'name'->>'givenName') <> '')`,
    ),
  ],
  'case-exact strings, references and binaries': [
    translation('externalId eq "Ab1"', 'm.external_id = $1::text', 'Ab1'),
    translation('externalId ne "Ab1"', 'm.external_id IS DISTINCT FROM $1::text', 'Ab1'),
    translation('externalId co "b"', "m.external_id LIKE $1::text ESCAPE '\\'", '%b%'),
    translation('externalId sw "A"', "m.external_id LIKE $1::text ESCAPE '\\'", 'A%'),
    translation('externalId ew "1"', "m.external_id LIKE $1::text ESCAPE '\\'", '%1'),
    translation('externalId gt "A"', 'm.external_id > $1::text', 'A'),
    translation('externalId le "A"', 'm.external_id <= $1::text', 'A'),
    translation('externalId pr', "(m.external_id IS NOT NULL AND m.external_id <> '')"),
    translation('id eq "2819c223"', 'u.id::text = $1::text', '2819c223'),
    translation('profileUrl eq "https://x/Bob"', 'm.profile_url = $1::text', 'https://x/Bob'),
    translation('profileUrl sw "https://"', "m.profile_url LIKE $1::text ESCAPE '\\'", 'https://%'),
    translation('certificate eq "TUlJ"', 'm.certificate = $1::text', 'TUlJ'),
    translation('certificate ne "TUlJ"', 'm.certificate IS DISTINCT FROM $1::text', 'TUlJ'),
    translation('certificate pr', "(m.certificate IS NOT NULL AND m.certificate <> '')"),
  ],
  booleans: [
    translation('active eq true', 'm.active = $1::boolean', true),
    translation('active eq false', 'm.active = $1::boolean', false),
    translation('active ne true', 'm.active IS DISTINCT FROM $1::boolean', true),
    translation('active eq "True"', 'm.active = $1::boolean', true),
    translation('active eq "FALSE"', 'm.active = $1::boolean', false),
    translation('active pr', 'm.active IS NOT NULL'),
  ],
  numbers: [
    translation('loginCount eq 5', 'm.login_count = $1::bigint', 5),
    translation('loginCount ne 5', 'm.login_count IS DISTINCT FROM $1::bigint', 5),
    translation('loginCount gt 5', 'm.login_count > $1::bigint', 5),
    translation('loginCount ge -3', 'm.login_count >= $1::bigint', -3),
    translation('loginCount lt 1e3', 'm.login_count < $1::bigint', 1000),
    translation('loginCount le 0', 'm.login_count <= $1::bigint', 0),
    translation('loginCount pr', 'm.login_count IS NOT NULL'),
    translation('quota eq 1.5', 'm.quota = $1::numeric', 1.5),
    translation('quota gt 2', 'm.quota > $1::numeric', 2),
    translation('quota le -0.25', 'm.quota <= $1::numeric', -0.25),
    translation('quota pr', 'm.quota IS NOT NULL'),
  ],
  dateTimes: [
    translation(
      'meta.lastModified gt "2011-05-13T04:42:34Z"',
      'm.updated_at > $1::timestamptz',
      '2011-05-13T04:42:34Z',
    ),
    translation(
      'meta.lastModified ge "2011-05-13T04:42:34.123456+02:00"',
      'm.updated_at >= $1::timestamptz',
      '2011-05-13T04:42:34.123456+02:00',
    ),
    translation(
      'meta.lastModified lt "2011-05-13T04:42"',
      'm.updated_at < $1::timestamptz',
      '2011-05-13T04:42Z',
    ),
    translation(
      'meta.lastModified le "2024-02-29T23:59:59-08:00"',
      'm.updated_at <= $1::timestamptz',
      '2024-02-29T23:59:59-08:00',
    ),
    translation(
      'meta.lastModified eq "2011-05-13T04:42:34Z"',
      'm.updated_at = $1::timestamptz',
      '2011-05-13T04:42:34Z',
    ),
    translation(
      'meta.lastModified ne "2011-05-13T04:42:34Z"',
      'm.updated_at IS DISTINCT FROM $1::timestamptz',
      '2011-05-13T04:42:34Z',
    ),
    translation('meta.lastModified pr', 'm.updated_at IS NOT NULL'),
  ],
  'and, or, not, precedence and parentheses': [
    translation(
      'userName eq "a" and active eq true',
      `(lower(${USER_NAME}) = lower($1::text) AND m.active = $2::boolean)`,
      'a',
      true,
    ),
    translation(
      'userName eq "a" or userName eq "b" and active eq true',
      `(lower(${USER_NAME}) = lower($1::text) OR (lower(${USER_NAME}) = lower($2::text) AND m.active = $3::boolean))`,
      'a',
      'b',
      true,
    ),
    translation(
      '(userName eq "a" or userName eq "b") and active eq true',
      `((lower(${USER_NAME}) = lower($1::text) OR lower(${USER_NAME}) = lower($2::text)) AND m.active = $3::boolean)`,
      'a',
      'b',
      true,
    ),
    translation(
      'loginCount gt 1 and loginCount lt 9 or quota pr and active eq false',
      '((m.login_count > $1::bigint AND m.login_count < $2::bigint) OR (m.quota IS NOT NULL AND m.active = $3::boolean))',
      1,
      9,
      false,
    ),
    translation(
      'loginCount eq 1 or loginCount eq 2 or loginCount eq 3',
      '(m.login_count = $1::bigint OR m.login_count = $2::bigint OR m.login_count = $3::bigint)',
      1,
      2,
      3,
    ),
    translation(
      'not (userName eq "a")',
      `NOT coalesce(lower(${USER_NAME}) = lower($1::text), false)`,
      'a',
    ),
    translation(
      'not (userName ne "a")',
      `NOT (lower(${USER_NAME}) IS DISTINCT FROM lower($1::text))`,
      'a',
    ),
    translation('not (quota pr)', 'NOT (m.quota IS NOT NULL)'),
    translation(
      'not (userName eq "a" or active eq true)',
      `NOT coalesce((lower(${USER_NAME}) = lower($1::text) OR m.active = $2::boolean), false)`,
      'a',
      true,
    ),
    translation(
      'not (userName pr) and active eq true',
      `(NOT (${USER_NAME} IS NOT NULL AND ${USER_NAME} <> '') AND m.active = $1::boolean)`,
      true,
    ),
    translation(
      'NOT (userName EQ "a") AND (active Eq true OR loginCount GT 1)',
      `(NOT coalesce(lower(${USER_NAME}) = lower($1::text), false) AND (m.active = $2::boolean OR m.login_count > $3::bigint))`,
      'a',
      true,
      1,
    ),
    translation(
      'userName eq "a" and (active eq true or (loginCount gt 1 and not (externalId pr)))',
      `(lower(${USER_NAME}) = lower($1::text) AND (m.active = $2::boolean OR (m.login_count > $3::bigint AND NOT (m.external_id IS NOT NULL AND m.external_id <> ''))))`,
      'a',
      true,
      1,
    ),
  ],
  'attribute names: any case, URN-qualified': [
    translation('USERNAME eq "x"', `lower(${USER_NAME}) = lower($1::text)`, 'x'),
    translation('username EQ "x"', `lower(${USER_NAME}) = lower($1::text)`, 'x'),
    translation(`${CORE_USER}:userName eq "x"`, `lower(${USER_NAME}) = lower($1::text)`, 'x'),
    translation(
      `${CORE_USER.toUpperCase()}:USERNAME eq "x"`,
      `lower(${USER_NAME}) = lower($1::text)`,
      'x',
    ),
    translation(
      `${CORE_USER}:name.givenName eq "x"`,
      `lower(m.scim_data->'name'->>'givenName') = lower($1::text)`,
      'x',
    ),
    translation(
      'Name.GIVENNAME eq "x"',
      `lower(m.scim_data->'name'->>'givenName') = lower($1::text)`,
      'x',
    ),
    translation(
      'META.LASTMODIFIED gt "2011-05-13T04:42:34Z"',
      'm.updated_at > $1::timestamptz',
      '2011-05-13T04:42:34Z',
    ),
    translation(
      `${ENTERPRISE}:employeeNumber eq "701984"`,
      "lower(m.scim_data->>'employeeNumber') = lower($1::text)",
      '701984',
    ),
    translation(
      `${ENTERPRISE.toLowerCase()}:EMPLOYEENUMBER pr`,
      "((m.scim_data->>'employeeNumber') IS NOT NULL AND (m.scim_data->>'employeeNumber') <> '')",
    ),
    translation('EMAILS.Value eq "x"', emails("lower(scim_el.v->>'value') = lower($1::text)"), 'x'),
    translation(
      `${CORE_USER}:emails[TYPE eq "work"]`,
      emails("lower(scim_el.v->>'type') = lower($1::text)"),
      'work',
    ),
  ],
  'multi-valued attributes (jsonb)': [
    translation('emails eq "x"', emails("lower(scim_el.v->>'value') = lower($1::text)"), 'x'),
    translation(
      'emails co "@example.com"',
      emails("(scim_el.v->>'value') ILIKE $1::text ESCAPE '\\'"),
      '%@example.com%',
    ),
    translation(
      'emails ne "x"',
      emails("lower(scim_el.v->>'value') IS DISTINCT FROM lower($1::text)"),
      'x',
    ),
    translation(
      'emails.type eq "work"',
      emails("lower(scim_el.v->>'type') = lower($1::text)"),
      'work',
    ),
    translation('emails.primary eq true', emails(`${PRIMARY} = $1::boolean`), true),
    translation('emails pr', emails()),
    translation(
      'emails.value pr',
      emails("((scim_el.v->>'value') IS NOT NULL AND (scim_el.v->>'value') <> '')"),
    ),
    translation('emails.primary pr', emails(`${PRIMARY} IS NOT NULL`)),
    translation('not (emails pr)', `NOT (${emails()})`),
    translation(
      'emails[type eq "work"]',
      emails("lower(scim_el.v->>'type') = lower($1::text)"),
      'work',
    ),
    translation(
      'emails[type eq "work" and primary eq true]',
      emails(`(lower(scim_el.v->>'type') = lower($1::text) AND ${PRIMARY} = $2::boolean)`),
      'work',
      true,
    ),
    translation(
      'emails[type eq "work" and primary eq true].value eq "x"',
      emails(
        `(lower(scim_el.v->>'type') = lower($1::text) AND ${PRIMARY} = $2::boolean) AND lower(scim_el.v->>'value') = lower($3::text)`,
      ),
      'work',
      true,
      'x',
    ),
    translation(
      'emails[type eq "work"].value eq "x"',
      emails(
        "lower(scim_el.v->>'type') = lower($1::text) AND lower(scim_el.v->>'value') = lower($2::text)",
      ),
      'work',
      'x',
    ),
    translation(
      'emails[type eq "work"]. VALUE co "@x"',
      emails(
        "lower(scim_el.v->>'type') = lower($1::text) AND (scim_el.v->>'value') ILIKE $2::text ESCAPE '\\'",
      ),
      'work',
      '%@x%',
    ),
    translation(
      'emails[type eq "work"].value pr',
      emails(
        "lower(scim_el.v->>'type') = lower($1::text) AND ((scim_el.v->>'value') IS NOT NULL AND (scim_el.v->>'value') <> '')",
      ),
      'work',
    ),
    // Written out, the two conditions may hold on different emails.
    translation(
      'emails[type eq "work"] and emails.value eq "x"',
      `(${emails("lower(scim_el.v->>'type') = lower($1::text)")} AND ${emails("lower(scim_el.v->>'value') = lower($2::text)")})`,
      'work',
      'x',
    ),
    translation(
      'userName eq "a" and emails[type eq "work"].value co "@x" and active eq true',
      `(lower(${USER_NAME}) = lower($1::text) AND ${emails("lower(scim_el.v->>'type') = lower($2::text) AND (scim_el.v->>'value') ILIKE $3::text ESCAPE '\\'")} AND m.active = $4::boolean)`,
      'a',
      'work',
      '%@x%',
      true,
    ),
    translation(
      'not (emails[type eq "work"].value eq "x") or emails[primary eq true]',
      `(NOT (${emails("lower(scim_el.v->>'type') = lower($1::text) AND lower(scim_el.v->>'value') = lower($2::text)")}) OR ${emails(`${PRIMARY} = $3::boolean`)})`,
      'work',
      'x',
      true,
    ),
    translation(
      'emails[not (primary eq true) or display ew "Home"]',
      emails(
        `(NOT coalesce(${PRIMARY} = $1::boolean, false) OR (scim_el.v->>'display') ILIKE $2::text ESCAPE '\\')`,
      ),
      true,
      '%Home',
    ),
    translation(
      'addresses.since gt "2020-01-01T00:00:00Z"',
      "EXISTS (SELECT 1 FROM jsonb_array_elements(CASE jsonb_typeof(m.scim_data->'addresses') WHEN 'array' THEN m.scim_data->'addresses' END) AS scim_el(v) WHERE (scim_el.v->>'since')::timestamptz > $1::timestamptz)",
      '2020-01-01T00:00:00Z',
    ),
  ],
  'multi-valued attributes (EXISTS)': [
    groupTranslation('members[value eq "id"]', members('gm.user_id::text = $1::text'), 'id'),
    groupTranslation('members eq "id"', members('gm.user_id::text = $1::text'), 'id'),
    groupTranslation('members.value eq "id"', members('gm.user_id::text = $1::text'), 'id'),
    groupTranslation('members pr', members('TRUE')),
    groupTranslation('not (members pr)', `NOT (${members('TRUE')})`),
    groupTranslation(
      'members[value eq "a" or value eq "b"]',
      members('(gm.user_id::text = $1::text OR gm.user_id::text = $2::text)'),
      'a',
      'b',
    ),
    groupTranslation(
      'members[display co "@x"]',
      members("mu.email ILIKE $1::text ESCAPE '\\'"),
      '%@x%',
    ),
    groupTranslation(
      'members[value eq "a"].display sw "b"',
      members("gm.user_id::text = $1::text AND mu.email ILIKE $2::text ESCAPE '\\'"),
      'a',
      'b%',
    ),
    groupTranslation(
      'id eq "x" and members[value eq "y"]',
      `(g.id::text = $1::text AND ${members('gm.user_id::text = $2::text')})`,
      'x',
      'y',
    ),
  ],
  'what identity providers send': [
    translation(
      'userName eq "bjensen@example.com"',
      `lower(${USER_NAME}) = lower($1::text)`,
      'bjensen@example.com',
    ),
    translation(
      'externalId eq "58342554-38d6-4ec8-948c-50044d0a33fd"',
      'm.external_id = $1::text',
      '58342554-38d6-4ec8-948c-50044d0a33fd',
    ),
    groupTranslation('displayName eq "Group"', 'lower(g.display_name) = lower($1::text)', 'Group'),
    groupTranslation('externalId eq "e1"', 'g.external_id = $1::text', 'e1'),
  ],
  'bare words, as API tools send them (Microsoft reference server semantics)': [
    translation('userName sw O', `${USER_NAME} ILIKE $1::text ESCAPE '\\'`, 'O%'),
    translation(
      'name.givenName eq Employee',
      `lower(m.scim_data->'name'->>'givenName') = lower($1::text)`,
      'Employee',
    ),
    translation(
      'meta.lastModified gt 2015-10-10T14:38:21.8617979-07:00',
      'm.updated_at > $1::timestamptz',
      '2015-10-10T14:38:21.8617979-07:00',
    ),
    translation(
      'meta.lastModified le 2015-10-10T14:38:21+02:00 and active eq true',
      '(m.updated_at <= $1::timestamptz AND m.active = $2::boolean)',
      '2015-10-10T14:38:21+02:00',
      true,
    ),
    translation(
      'userName eq bjensen@example.com',
      `lower(${USER_NAME}) = lower($1::text)`,
      'bjensen@example.com',
    ),
    translation("userName eq O'Brien", `lower(${USER_NAME}) = lower($1::text)`, "O'Brien"),
    translation('userName co 100%', `${USER_NAME} ILIKE $1::text ESCAPE '\\'`, '%100\\%%'),
    translation('userName eq True', `lower(${USER_NAME}) = lower($1::text)`, 'True'),
    translation('active eq True', 'm.active = $1::boolean', true),
    translation('externalId eq 0042', 'm.external_id = $1::text', '0042'),
    translation('externalId eq 00u1abc', 'm.external_id = $1::text', '00u1abc'),
    translation(
      '(userName eq O) OR (userName eq "Van Der Berg" and not (displayName eq x))',
      `(lower(${USER_NAME}) = lower($1::text) OR (lower(${USER_NAME}) = lower($2::text) AND NOT coalesce(lower(m.display_name) = lower($3::text), false)))`,
      'O',
      'Van Der Berg',
      'x',
    ),
    translation('userName eq and', `lower(${USER_NAME}) = lower($1::text)`, 'and'),
    translation(
      'emails[type eq work]',
      emails("lower(scim_el.v->>'type') = lower($1::text)"),
      'work',
    ),
    translation(
      'emails[type eq work and primary eq true].value eq a@b.c',
      emails(
        `(lower(scim_el.v->>'type') = lower($1::text) AND ${PRIMARY} = $2::boolean) AND lower(scim_el.v->>'value') = lower($3::text)`,
      ),
      'work',
      true,
      'a@b.c',
    ),
    translation(
      'emails[type eq work]. value eq a@b.c',
      emails(
        "lower(scim_el.v->>'type') = lower($1::text) AND lower(scim_el.v->>'value') = lower($2::text)",
      ),
      'work',
      'a@b.c',
    ),
    groupTranslation(
      'members[value eq 2819c223-7f76-453a-919d-413861904646]',
      members('gm.user_id::text = $1::text'),
      '2819c223-7f76-453a-919d-413861904646',
    ),
    // The parser reads a number before a space or ')' as a word it then refuses.
    translation(
      '(loginCount ge -3 and quota lt -0.5)',
      '(m.login_count >= $1::bigint AND m.quota < $2::numeric)',
      -3,
      -0.5,
    ),
  ],
  'values: LIKE escaping, JSON strings, never in the SQL': [
    translation(
      'userName co "50%_off\\\\now"',
      `${USER_NAME} ILIKE $1::text ESCAPE '\\'`,
      '%50\\%\\_off\\\\now%',
    ),
    translation('userName sw "%"', `${USER_NAME} ILIKE $1::text ESCAPE '\\'`, '\\%%'),
    translation('userName ew "_"', `${USER_NAME} ILIKE $1::text ESCAPE '\\'`, '%\\_'),
    translation('userName sw "dave\\\\"', `${USER_NAME} ILIKE $1::text ESCAPE '\\'`, 'dave\\\\%'),
    translation('userName eq "100%"', `lower(${USER_NAME}) = lower($1::text)`, '100%'),
    translation('userName eq "a\\"b"', `lower(${USER_NAME}) = lower($1::text)`, 'a"b'),
    translation('userName eq "caf\\u00e9"', `lower(${USER_NAME}) = lower($1::text)`, 'café'),
    translation(
      `userName eq "'); DROP TABLE users; --"`,
      `lower(${USER_NAME}) = lower($1::text)`,
      `'); DROP TABLE users; --`,
    ),
    translation(
      'userName eq "a) or (1 eq 1"',
      `lower(${USER_NAME}) = lower($1::text)`,
      'a) or (1 eq 1',
    ),
    translation('userName eq ""', `lower(${USER_NAME}) = lower($1::text)`, ''),
    translation(
      'userName eq"x"and active eq true',
      `(lower(${USER_NAME}) = lower($1::text) AND m.active = $2::boolean)`,
      'x',
      true,
    ),
  ],
};

interface Rejection {
  filter: string;
  detail: RegExp;
  schema?: FilterSchema;
}

const rejections: Record<string, Rejection[]> = {
  'empty, too long, too deep': [
    { filter: '', detail: /empty/ },
    { filter: '  \t ', detail: /empty/ },
    {
      filter: `userName eq "${'x'.repeat(MAX_FILTER_LENGTH)}"`,
      detail: /longer than 4096 characters/,
    },
    {
      filter: `${'('.repeat(MAX_FILTER_DEPTH + 1)}userName pr${')'.repeat(MAX_FILTER_DEPTH + 1)}`,
      detail: /deeper than 50 levels at character 51/,
    },
    {
      filter: `${'not '.repeat(MAX_FILTER_DEPTH + 1)}userName pr`,
      detail: /deeper than 50 levels/,
    },
  ],
  syntax: [
    { filter: 'userName', detail: /Invalid filter syntax/ },
    { filter: 'userName eq', detail: /Invalid filter syntax/ },
    { filter: 'userName eq "x" and', detail: /Invalid filter syntax/ },
    { filter: 'userName xx "x"', detail: /Invalid filter syntax.*xx/ },
    { filter: 'userName eq "x" userName eq "y"', detail: /Invalid filter syntax/ },
    { filter: 'userName eq Van Der Berg', detail: /Invalid filter syntax.*"Van"/ },
    { filter: 'userName eq bjensen smith', detail: /Invalid filter syntax.*"bjensen"/ },
    { filter: 'userName sw (O)', detail: /Invalid filter syntax/ },
    { filter: 'userName eq [O]', detail: /Invalid filter syntax/ },
    { filter: 'userName O', detail: /Invalid filter syntax/ },
    { filter: '"x" eq userName', detail: /Invalid filter syntax.*"x"/ },
    { filter: 'and', detail: /Invalid filter syntax/ },
    { filter: 'userName eq "x" & active eq true', detail: /Invalid filter syntax/ },
    { filter: '(userName eq "x"', detail: /Unclosed '\(' at character 1/ },
    { filter: 'userName eq "x")', detail: /Unexpected '\)' at character 16/ },
    { filter: 'emails[type eq "work"', detail: /Unclosed '\[' at character 7/ },
    { filter: 'emails[type eq "work")', detail: /Unexpected '\)' at character 22/ },
    { filter: 'userName eq "x', detail: /Unterminated string at character 13/ },
    { filter: 'userName eq "a\\q"', detail: /Invalid JSON string .* at character 13/ },
    { filter: 'userName eq "a\\u0000"', detail: /string at character 13 holds a NUL/ },
    { filter: 'userName eq "\\udc00x"', detail: /unpaired surrogate/ },
    { filter: 'emails[value eq "\\ud800"]', detail: /unpaired surrogate/ },
    { filter: 'emails[type eq "work"].', detail: /sub-attribute after "emails\[\.\.\.\]\."/ },
  ],
  'attributes outside the allow-list': [
    { filter: 'password eq "x"', detail: /Unknown attribute "password"/ },
    { filter: 'name pr', detail: /Unknown attribute "name"/ },
    { filter: 'name.givenName.x eq "x"', detail: /Unknown attribute "name.givenName.x"/ },
    {
      filter: 'urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "x"',
      detail: /Unknown schema "urn:ietf:params:scim:schemas:core:2.0:Group"/,
    },
    { filter: `${ENTERPRISE}:manager eq "x"`, detail: /Unknown attribute ".*:manager"/ },
    { filter: 'emails.foo eq "x"', detail: /Unknown sub-attribute "emails.foo" of "emails"/ },
    { filter: 'emails[foo eq "x"]', detail: /Unknown sub-attribute "foo" of "emails"/ },
    {
      filter: 'emails[type eq "work"].foo eq "x"',
      detail: /Unknown sub-attribute "foo" of "emails"/,
    },
    { filter: 'emails[emails.type eq "work"]', detail: /Unknown sub-attribute "emails.type"/ },
    { filter: 'members[value eq "x"]', detail: /Unknown attribute "members"/ },
    { filter: 'members.foo eq "x"', detail: /Unknown sub-attribute "members.foo"/, schema: groups },
    { filter: 'userName.value eq "x"', detail: /"userName.value": the attribute has no sub/ },
    { filter: 'userName[value eq "x"]', detail: /"userName" is single-valued/ },
    {
      filter: 'emails.value[type eq "x"]',
      detail: /cannot follow the sub-attribute "emails.value"/,
    },
    {
      filter: 'emails[type eq "w"].value[type eq "x"]',
      detail: /cannot follow the sub-attribute "emails.value"/,
    },
    { filter: 'emails[type[value eq "x"]]', detail: /cannot be nested inside .*"emails"/ },
    { filter: 'addresses eq "x"', detail: /"addresses" is multi-valued/ },
  ],
  'values of the wrong type': [
    { filter: 'userName eq null', detail: /"userName" cannot be compared with null/ },
    { filter: 'active eq null', detail: /cannot be compared with null/ },
    { filter: 'userName eq 1', detail: /"userName" is a string: .* not 1/ },
    { filter: 'userName co true', detail: /"userName" is a string/ },
    { filter: 'active eq "yes"', detail: /"active" is a boolean/ },
    { filter: 'active eq 1', detail: /"active" is a boolean/ },
    { filter: 'active gt true', detail: /"gt" does not apply to the boolean attribute "active"/ },
    { filter: 'active le false', detail: /"le" does not apply to the boolean/ },
    { filter: 'active co "t"', detail: /"co" does not apply to the boolean/ },
    { filter: 'certificate lt "x"', detail: /"lt" does not apply to the binary/ },
    { filter: 'certificate sw "x"', detail: /"sw" does not apply to the binary/ },
    { filter: 'loginCount eq 1.5', detail: /"loginCount" is an integer/ },
    { filter: 'loginCount eq "5"', detail: /"loginCount" is an integer/ },
    { filter: 'loginCount eq 1e300', detail: /"loginCount" is an integer/ },
    { filter: 'loginCount ew "5"', detail: /"ew" does not apply to the integer/ },
    { filter: 'quota eq "x"', detail: /"quota" is a number/ },
    { filter: 'meta.lastModified eq "yesterday"', detail: /"meta.lastModified" is a dateTime/ },
    { filter: 'meta.lastModified gt "2011-05-13"', detail: /is a dateTime/ },
    { filter: 'meta.lastModified gt "2023-02-29T00:00:00Z"', detail: /is a dateTime/ },
    { filter: 'meta.lastModified gt "2011-13-01T00:00:00Z"', detail: /is a dateTime/ },
    { filter: 'meta.lastModified gt "2011-05-13T24:00:00Z"', detail: /is a dateTime/ },
    { filter: 'meta.lastModified gt "2011-05-13T04:42:34+2:00"', detail: /is a dateTime/ },
    { filter: 'meta.lastModified gt 1305261754', detail: /is a dateTime/ },
    { filter: 'meta.lastModified sw "2011"', detail: /"sw" does not apply to the dateTime/ },
    { filter: 'emails[primary eq "maybe"]', detail: /"emails.primary" is a boolean/ },
    { filter: 'emails[type gt true]', detail: /"emails.type" is a string/ },
    { filter: 'externalId eq 42', detail: /"externalId" is a string: .* not 42/ },
    { filter: 'userName eq -1.5e3', detail: /"userName" is a string: .* not -1500/ },
    { filter: 'active eq yes', detail: /"active" is a boolean/ },
    { filter: 'active eq NULL', detail: /"active" is a boolean/ },
    { filter: 'loginCount eq 5x', detail: /"loginCount" is an integer: "5x"/ },
    { filter: 'loginCount eq 007', detail: /"loginCount" is an integer: "007"/ },
    { filter: 'meta.lastModified gt 2011-05-13', detail: /is a dateTime: "2011-05-13"/ },
    { filter: 'meta.lastModified gt yesterday', detail: /is a dateTime/ },
  ],
};

function translate(filter: string, schema: FilterSchema = users, params = new SqlParams()) {
  return { sql: translateFilter(filter, schema, params), params: params.values };
}

function rejection(filter: string, schema: FilterSchema = users): ScimError {
  try {
    translate(filter, schema);
  } catch (error) {
    if (error instanceof ScimError) return error;
    throw error;
  }
  throw new Error(`${filter} was translated`);
}

describe('translateFilter', () => {
  for (const [topic, cases] of Object.entries(translations)) {
    describe(topic, () => {
      it.each(cases)('$filter', ({ filter, sql, params, schema }) => {
        expect(translate(filter, schema)).toEqual({ sql, params });
      });
    });
  }

  for (const [topic, cases] of Object.entries(rejections)) {
    describe(`invalidFilter: ${topic}`, () => {
      it.each(cases)('$filter', ({ filter, detail, schema }) => {
        const error = rejection(filter, schema);
        expect(error.scimType).toBe('invalidFilter');
        expect(error.status).toBe(400);
        expect(error.message).toMatch(detail);
      });
    });
  }

  it('accepts 50 levels of parentheses and of not', () => {
    const depth = MAX_FILTER_DEPTH;
    expect(translate(`${'('.repeat(depth)}quota pr${')'.repeat(depth)}`).sql).toBe(
      'm.quota IS NOT NULL',
    );
    expect(translate(`${'not '.repeat(depth)}quota pr`).sql).toBe(
      `${'NOT ('.repeat(depth)}m.quota IS NOT NULL${')'.repeat(depth)}`,
    );
  });

  it('accepts a filter of 4096 characters', () => {
    const filter = `userName eq "${'x'.repeat(MAX_FILTER_LENGTH - 14)}"`;
    expect(filter).toHaveLength(MAX_FILTER_LENGTH);
    expect(translate(filter).params).toEqual(['x'.repeat(MAX_FILTER_LENGTH - 14)]);
  });

  it('numbers placeholders after the parameters already there', () => {
    const params = new SqlParams(3);
    expect(params.add('workspace')).toBe('$3');
    expect(translateFilter('userName eq "a" and loginCount gt 2', users, params)).toBe(
      `(lower(${USER_NAME}) = lower($4::text) AND m.login_count > $5::bigint)`,
    );
    expect(params.values).toEqual(['workspace', 'a', 2]);
  });

  it('leaves the parameters as they were when it rejects the filter', () => {
    const params = new SqlParams();
    params.add('workspace');
    expect(() => translateFilter('userName eq "a" and active eq "maybe"', users, params)).toThrow(
      '"active" is a boolean',
    );
    expect(params.values).toEqual(['workspace']);
  });

  it('throws nothing but invalidFilter, and puts no client text in the SQL, whatever the input', () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return Math.floor((seed / 2 ** 31) * n);
    };
    const pick = <T>(items: T[]): T => items[random(items.length)] as T;
    const attributes = [
      ...['userName', 'USERNAME', `${CORE_USER}:userName`, 'active', 'loginCount', 'quota'],
      ...['meta.lastModified', 'emails', 'emails.value', 'emails.primary', 'members', 'foo'],
      ...['members.value', 'displayName', 'name.givenName', 'certificate', 'userName.x', 'id'],
    ];
    const values = [
      ...['"x"', '"\'--"', '"a\\\\b"', '"%_"', '"True"', '"2011-05-13T04:42:34Z"', '"\\u0027"'],
      ...['true', 'false', 'null', '1', '-2.5e3', '"2011-02-30T00:00:00Z"'],
      ...['O', 'work', "O'Brien", '2011-05-13T04:42:34Z', '007', 'True', 'and', '-'],
    ];
    const operators = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le'];
    const subFilter = (): string =>
      random(4) === 0
        ? `${pick(['value', 'type', 'primary', 'display', 'foo'])} pr`
        : `${pick(['value', 'type', 'primary', 'display'])} ${pick(operators)} ${pick(values)}`;
    const expression = (depth: number): string => {
      switch (depth > 3 ? 0 : random(7)) {
        case 0:
          return `${pick(attributes)} ${pick(operators)} ${pick(values)}`;
        case 1:
          return `${pick(attributes)} pr`;
        case 2:
          return `${expression(depth + 1)} ${pick(['and', 'or', 'AND'])} ${expression(depth + 1)}`;
        case 3:
          return `not (${expression(depth + 1)})`;
        case 4:
          return `(${expression(depth + 1)})`;
        case 5:
          return `${pick(['emails', 'members'])}[${subFilter()} ${pick(['and', 'or'])} ${subFilter()}]`;
        default:
          return `${pick(['emails', 'members'])}[${subFilter()}].${subFilter()}`;
      }
    };
    const noise = ['(', ')', '[', ']', '].', '"', ' and', ' not', 'eq ', '\\', '%', ':', '.'];
    const allowed = /^[\w\s$:.,'<>=()\\-]*$/;
    let translated = 0;
    let rejected = 0;
    for (let n = 0; n < 3000; n++) {
      let filter = expression(0);
      if (n % 2 === 1) {
        const at = random(filter.length);
        filter = `${filter.slice(0, at)}${pick(noise)}${filter.slice(at + random(3))}`;
      }
      for (const schema of [users, groups]) {
        try {
          const { sql } = translate(filter, schema);
          translated++;
          expect(sql).not.toContain('--');
          expect(sql).toMatch(allowed);
        } catch (error) {
          rejected++;
          expect(error).toBeInstanceOf(ScimError);
          expect((error as ScimError).scimType).toBe('invalidFilter');
        }
      }
    }
    expect(translated).toBeGreaterThan(500);
    expect(rejected).toBeGreaterThan(500);
  });
});
