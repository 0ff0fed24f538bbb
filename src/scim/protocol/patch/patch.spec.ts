import { describe, expect, it } from '@jest/globals';
import { ScimError, type ScimType } from '../scim-error.js';
import { GROUP_PATCH_SCHEMA, USER_PATCH_SCHEMA } from '../schemas.js';
import {
  applyPatch,
  canonicalNames,
  PATCH_OP_SCHEMA,
  type MemberDelta,
  type PatchDialect,
  type PatchSchema,
} from './patch.js';

type Json = Record<string, unknown>;

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const GATEHOUSE = 'urn:ietf:params:scim:schemas:extension:gatehouse:2.0:User';
const ENTRA_GROUP = 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';

/** The production schemas: RFC 7643 §4.1 User with Gatehouse's `role`, the enterprise (§4.3)
 * and Gatehouse extensions; §4.2 Group, whose members are deltaOnly. */
const USER: PatchSchema = USER_PATCH_SCHEMA;
const GROUP: PatchSchema = GROUP_PATCH_SCHEMA;

/** Types the standard schemas lack. */
const TYPES: PatchSchema = {
  coreSchemaUrn: 'urn:example:Thing',
  extensionUrns: [],
  attributes: {
    count: { type: 'integer' },
    ratio: { type: 'decimal' },
    seenAt: { type: 'dateTime' },
    serial: { type: 'string', mutability: 'immutable', caseExact: true },
  },
  extensions: {},
};

const META = {
  resourceType: 'User',
  created: '2024-01-01T00:00:00Z',
  lastModified: '2024-01-02T00:00:00Z',
  location: 'https://gatehouse.test/scim/v2/Users/u1',
  version: 'W/"1"',
};

const ADA: Json = {
  schemas: [CORE_USER],
  id: 'u1',
  externalId: 'okta-00u1',
  userName: 'ada@example.com',
  name: { givenName: 'Ada', familyName: 'Lovelace' },
  displayName: 'Ada Lovelace',
  active: true,
  emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
  meta: META,
};

const withoutName: Json = Object.fromEntries(Object.entries(ADA).filter(([k]) => k !== 'name'));

const WITH_ENTERPRISE: Json = {
  ...ADA,
  schemas: [CORE_USER, ENTERPRISE],
  [ENTERPRISE]: { employeeNumber: '7', manager: { value: 'm1', displayName: 'Boss' } },
};

const ENG: Json = {
  schemas: [CORE_GROUP],
  id: 'g1',
  displayName: 'Engineering',
  meta: { ...META, resourceType: 'Group', location: 'https://gatehouse.test/scim/v2/Groups/g1' },
};

interface Case {
  name: string;
  schema?: PatchSchema;
  resource?: Json;
  /** Wrapped in a PatchOp message; `request` is sent as is instead. */
  ops?: unknown[];
  request?: unknown;
  /** The patched resource (properties set to undefined must be absent). */
  expected?: Json;
  deltas?: Record<string, MemberDelta>;
  changed?: boolean;
  dialect?: Partial<PatchDialect>;
  error?: ScimType;
}

const group = (c: Omit<Case, 'schema' | 'resource'> & { resource?: Json }): Case => ({
  schema: GROUP,
  resource: ENG,
  ...c,
});
const addMembers = (...ids: string[]): MemberDelta => ({ add: ids, remove: [] });
const removeMembers = (...ids: string[]): MemberDelta => ({ add: [], remove: ids });
const replaceMembers = (...ids: string[]): MemberDelta => ({
  add: [],
  remove: [],
  replaceWith: ids,
});

const okta: Case[] = [
  {
    name: 'Okta user deactivate: path-less replace {active:false}',
    request: {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { active: false } }],
    },
    expected: { ...ADA, active: false },
    changed: true,
    dialect: { capitalizedOps: false, stringBooleans: false },
  },
  {
    name: 'Okta user reactivate when already active: no change',
    ops: [{ op: 'replace', value: { active: true } }],
    expected: ADA,
    changed: false,
  },
  group({
    name: 'Okta group rename: the current id is ignored',
    ops: [{ op: 'replace', value: { id: 'g1', displayName: 'Platform' } }],
    expected: { ...ENG, displayName: 'Platform' },
    changed: true,
  }),
  group({
    name: 'Okta group rename with another id: mutability',
    ops: [{ op: 'replace', value: { id: 'g2', displayName: 'Platform' } }],
    error: 'mutability',
  }),
  group({
    name: 'Okta group member add',
    ops: [
      {
        op: 'add',
        path: 'members',
        value: [
          { value: 'u1', display: 'ada@example.com' },
          { value: 'u2', display: 'bob@example.com' },
        ],
      },
    ],
    expected: ENG,
    deltas: { members: addMembers('u1', 'u2') },
    changed: true,
  }),
  group({
    name: 'Okta group member remove by value filter',
    ops: [{ op: 'remove', path: 'members[value eq "u1"]' }],
    expected: ENG,
    deltas: { members: removeMembers('u1') },
  }),
  group({
    name: 'Okta group rename and member changes in one request',
    ops: [
      { op: 'replace', value: { id: 'g1', displayName: 'Platform' } },
      { op: 'add', path: 'members', value: [{ value: 'u3', display: 'c@example.com' }] },
      { op: 'remove', path: 'members[value eq "u1"]' },
    ],
    expected: { ...ENG, displayName: 'Platform' },
    deltas: { members: { add: ['u3'], remove: ['u1'] } },
  }),
];

const entra: Case[] = [
  {
    name: 'Entra (default): Replace active "False"',
    ops: [{ op: 'Replace', path: 'active', value: 'False' }],
    expected: { ...ADA, active: false },
    dialect: { capitalizedOps: true, stringBooleans: true },
  },
  {
    name: 'Entra (default): path-less Replace {"active": "False"}',
    ops: [{ op: 'Replace', value: { active: 'False' } }],
    expected: { ...ADA, active: false },
    dialect: { capitalizedOps: true, stringBooleans: true },
  },
  {
    name: 'Entra (default): Add active "True"',
    resource: { ...ADA, active: false },
    ops: [{ op: 'Add', path: 'active', value: 'True' }],
    expected: ADA,
    dialect: { capitalizedOps: true, stringBooleans: true },
  },
  {
    name: 'lower-case "true" string is a string boolean too',
    resource: { ...ADA, active: false },
    ops: [{ op: 'replace', path: 'active', value: 'true' }],
    expected: ADA,
    dialect: { capitalizedOps: false, stringBooleans: true },
  },
  {
    name: 'any other string for a boolean: invalidValue',
    ops: [{ op: 'Replace', path: 'active', value: 'no' }],
    error: 'invalidValue',
  },
  {
    name: 'Entra: Add emails[type eq "work"].value creates the work email',
    resource: { ...ADA, emails: undefined },
    ops: [{ op: 'Add', path: 'emails[type eq "work"].value', value: 'x@y' }],
    expected: { ...ADA, emails: [{ type: 'work', value: 'x@y' }] },
  },
  {
    name: 'Entra: Add emails[type eq "work"].value updates the existing work email',
    ops: [{ op: 'Add', path: 'emails[type eq "work"].value', value: 'x@y' }],
    expected: { ...ADA, emails: [{ value: 'x@y', type: 'work', primary: true }] },
  },
  {
    name: 'Entra: filter values ignore case for caseExact=false sub-attributes',
    resource: { ...ADA, emails: [{ value: 'ada@example.com', type: 'Work' }] },
    ops: [{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'x@y' }],
    expected: { ...ADA, emails: [{ value: 'x@y', type: 'Work' }] },
  },
  {
    name: 'Entra: Replace name.givenName',
    ops: [{ op: 'Replace', path: 'name.givenName', value: 'Augusta' }],
    expected: { ...ADA, name: { givenName: 'Augusta', familyName: 'Lovelace' } },
  },
  {
    name: 'Entra: Add enterprise employeeNumber creates the extension and lists its schema',
    ops: [
      {
        op: 'Add',
        path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber',
        value: '42',
      },
    ],
    expected: { ...ADA, schemas: [CORE_USER, ENTERPRISE], [ENTERPRISE]: { employeeNumber: '42' } },
  },
  {
    name: 'Entra: Add roles (WindowsAzureActiveDirectoryRole)',
    ops: [
      {
        op: 'Add',
        path: 'roles',
        value: [
          {
            primary: false,
            type: 'WindowsAzureActiveDirectoryRole',
            display: 'admin',
            value: 'admin',
          },
        ],
      },
    ],
    expected: {
      ...ADA,
      roles: [
        {
          primary: false,
          type: 'WindowsAzureActiveDirectoryRole',
          display: 'admin',
          value: 'admin',
        },
      ],
    },
  },
  {
    name: 'Entra: the same role added again is not duplicated',
    resource: {
      ...ADA,
      roles: [
        {
          primary: false,
          type: 'WindowsAzureActiveDirectoryRole',
          display: 'admin',
          value: 'admin',
        },
      ],
    },
    ops: [
      {
        op: 'Add',
        path: 'roles',
        value: [
          {
            primary: false,
            type: 'WindowsAzureActiveDirectoryRole',
            display: 'admin',
            value: 'admin',
          },
        ],
      },
    ],
    expected: {
      ...ADA,
      roles: [
        {
          primary: false,
          type: 'WindowsAzureActiveDirectoryRole',
          display: 'admin',
          value: 'admin',
        },
      ],
    },
    changed: false,
  },
  group({
    name: 'Entra (default): legacy Remove members with a value removes only those',
    ops: [{ op: 'Remove', path: 'members', value: [{ value: 'id1' }] }],
    expected: ENG,
    deltas: { members: removeMembers('id1') },
    dialect: { capitalizedOps: true },
  }),
  group({
    name: 'Entra (default): Add members',
    ops: [{ op: 'Add', path: 'members', value: [{ value: 'id1' }, { value: 'id2' }] }],
    deltas: { members: addMembers('id1', 'id2') },
  }),
  group({
    name: 'Entra (aadOptscim062020): remove members[value eq "id"]',
    ops: [{ op: 'remove', path: 'members[value eq "id1"]' }],
    deltas: { members: removeMembers('id1') },
    dialect: { capitalizedOps: false, stringBooleans: false },
  }),
  group({
    name: 'Entra: removing a member that is already gone still succeeds (a delta)',
    ops: [
      { op: 'Remove', path: 'members', value: [{ value: 'gone' }] },
      { op: 'Remove', path: 'members[value eq "gone-too"]' },
    ],
    expected: ENG,
    deltas: { members: removeMembers('gone', 'gone-too') },
  }),
  group({
    name: 'Entra: Replace displayName with the Entra Group extension key present',
    ops: [{ op: 'Replace', value: { displayName: 'Ops', [ENTRA_GROUP]: {} } }],
    expected: { ...ENG, displayName: 'Ops' },
  }),
  {
    name: 'Entra: path-less Replace with dotted, URN-qualified and filtered keys',
    ops: [
      {
        op: 'Replace',
        value: {
          displayName: 'Ada King',
          'name.givenName': 'Augusta',
          'name.familyName': 'King',
          'emails[type eq "work"].value': 'ada.king@example.com',
          'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber': '42',
          'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager': { value: 'm2' },
          active: 'True',
        },
      },
    ],
    expected: {
      ...ADA,
      schemas: [CORE_USER, ENTERPRISE],
      displayName: 'Ada King',
      name: { givenName: 'Augusta', familyName: 'King' },
      emails: [{ value: 'ada.king@example.com', type: 'work', primary: true }],
      [ENTERPRISE]: { employeeNumber: '42', manager: { value: 'm2' } },
    },
    dialect: { capitalizedOps: true, stringBooleans: true },
  },
  {
    name: 'Entra: manager given as a bare id',
    resource: WITH_ENTERPRISE,
    ops: [
      {
        op: 'Replace',
        path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager',
        value: 'm9',
      },
    ],
    expected: {
      ...WITH_ENTERPRISE,
      [ENTERPRISE]: { employeeNumber: '7', manager: { value: 'm9', displayName: 'Boss' } },
    },
  },
  {
    name: 'Entra: Remove the manager',
    resource: WITH_ENTERPRISE,
    ops: [{ op: 'Remove', path: `${ENTERPRISE}:manager`, value: [{ value: 'm1' }] }],
    expected: { ...WITH_ENTERPRISE, [ENTERPRISE]: { employeeNumber: '7' } },
  },
  {
    name: 'Entra: Add phoneNumbers and addresses by filter',
    ops: [
      { op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+44 1' },
      { op: 'Add', path: 'addresses[type eq "work"].locality', value: 'London' },
      { op: 'Add', path: 'addresses[type eq "work"].country', value: 'GB' },
    ],
    expected: {
      ...ADA,
      phoneNumbers: [{ type: 'mobile', value: '+44 1' }],
      addresses: [{ type: 'work', locality: 'London', country: 'GB' }],
    },
  },
  {
    name: 'Entra: Remove emails by value (legacy form) removes matching elements',
    resource: {
      ...ADA,
      emails: [
        { value: 'ada@example.com', type: 'work', primary: true },
        { value: 'ada@home.example', type: 'home' },
      ],
    },
    ops: [{ op: 'Remove', path: 'emails', value: [{ value: 'ada@home.example' }] }],
    expected: ADA,
  },
];

const gatehouseRoles: Case[] = [
  {
    name: 'Gatehouse: top-level role',
    ops: [{ op: 'replace', path: 'role', value: 'admin' }],
    expected: { ...ADA, role: 'admin' },
  },
  {
    name: 'Gatehouse: extension role by URN-qualified path',
    ops: [{ op: 'Add', path: `${GATEHOUSE}:role`, value: 'admin' }],
    expected: { ...ADA, schemas: [CORE_USER, GATEHOUSE], [GATEHOUSE]: { role: 'admin' } },
  },
  {
    name: 'Gatehouse: path-less extension objects (enterprise and Gatehouse)',
    ops: [
      {
        op: 'add',
        value: {
          [ENTERPRISE]: { department: 'R&D', manager: { value: 'm2' } },
          [GATEHOUSE]: { role: 'admin' },
        },
      },
    ],
    expected: {
      ...ADA,
      schemas: [CORE_USER, ENTERPRISE, GATEHOUSE],
      [ENTERPRISE]: { department: 'R&D', manager: { value: 'm2' } },
      [GATEHOUSE]: { role: 'admin' },
    },
  },
  {
    name: 'Gatehouse: removing the last extension attribute drops the extension',
    resource: { ...ADA, schemas: [CORE_USER, GATEHOUSE], [GATEHOUSE]: { role: 'admin' } },
    ops: [{ op: 'remove', path: `${GATEHOUSE}:role` }],
    expected: ADA,
  },
];

const rfc: Case[] = [
  group({
    name: 'RFC 7644 §3.5.2.1: add a member with $ref',
    ops: [
      {
        op: 'add',
        path: 'members',
        value: [
          {
            display: 'Babs Jensen',
            $ref: 'https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646',
            value: '2819c223-7f76-453a-919d-413861904646',
          },
        ],
      },
    ],
    deltas: { members: addMembers('2819c223-7f76-453a-919d-413861904646') },
  }),
  {
    name: 'RFC 7644 §3.5.2.1: path-less add of emails and nickname',
    ops: [
      {
        op: 'add',
        value: { emails: [{ value: 'babs@jensen.org', type: 'home' }], nickname: 'Babs' },
      },
    ],
    expected: {
      ...ADA,
      emails: [
        { value: 'ada@example.com', type: 'work', primary: true },
        { value: 'babs@jensen.org', type: 'home' },
      ],
      nickName: 'Babs',
    },
  },
  group({
    name: 'RFC 7644 §3.5.2.2: remove a single member',
    ops: [{ op: 'remove', path: 'members[value eq "2819c223-7f76-...413861904646"]' }],
    deltas: { members: removeMembers('2819c223-7f76-...413861904646') },
  }),
  group({
    name: 'RFC 7644 §3.5.2.2: remove all members',
    ops: [{ op: 'remove', path: 'members' }],
    deltas: { members: replaceMembers() },
    changed: true,
  }),
  {
    name: 'RFC 7644 §3.5.2.2: remove multi-valued values matching a complex filter',
    resource: {
      ...ADA,
      emails: [
        { value: 'ada@example.com', type: 'work', primary: true },
        { value: 'ada@other.org', type: 'work' },
      ],
    },
    ops: [{ op: 'remove', path: 'emails[type eq "work" and value ew "example.com"]' }],
    expected: { ...ADA, emails: [{ value: 'ada@other.org', type: 'work' }] },
  },
  group({
    name: 'RFC 7644 §3.5.2.2: remove all members, then add some (replace)',
    ops: [
      { op: 'remove', path: 'members' },
      {
        op: 'add',
        path: 'members',
        value: [
          {
            display: 'Babs Jensen',
            $ref: 'https://example.com/v2/Users/2819c223',
            value: '2819c223',
          },
          {
            display: 'James Smith',
            $ref: 'https://example.com/v2/Users/08e1d05d',
            value: '08e1d05d',
          },
        ],
      },
    ],
    deltas: { members: replaceMembers('2819c223', '08e1d05d') },
  }),
  group({
    name: 'RFC 7644 §3.5.2.3: replace all members',
    ops: [
      {
        op: 'replace',
        path: 'members',
        value: [
          {
            display: 'Babs Jensen',
            $ref: 'https://example.com/v2/Users/2819c223',
            value: '2819c223',
          },
          {
            display: 'James Smith',
            $ref: 'https://example.com/v2/Users/08e1d05d',
            value: '08e1d05d',
          },
        ],
      },
    ],
    deltas: { members: replaceMembers('2819c223', '08e1d05d') },
  }),
  {
    name: 'RFC 7644 §3.5.2.3: replace the work address',
    resource: {
      ...ADA,
      addresses: [
        { type: 'work', streetAddress: '1 Old Road', locality: 'Nowhere' },
        { type: 'home', streetAddress: '2 Home Lane' },
      ],
    },
    ops: [
      {
        op: 'replace',
        path: 'addresses[type eq "work"]',
        value: {
          type: 'work',
          streetAddress: '911 Universal City Plaza',
          locality: 'Hollywood',
          region: 'CA',
          postalCode: '91608',
          country: 'US',
          formatted: '911 Universal City Plaza\nHollywood, CA 91608 US',
          primary: true,
        },
      },
    ],
    expected: {
      ...ADA,
      addresses: [
        {
          type: 'work',
          streetAddress: '911 Universal City Plaza',
          locality: 'Hollywood',
          region: 'CA',
          postalCode: '91608',
          country: 'US',
          formatted: '911 Universal City Plaza\nHollywood, CA 91608 US',
          primary: true,
        },
        { type: 'home', streetAddress: '2 Home Lane' },
      ],
    },
  },
  {
    name: 'RFC 7644 §3.5.2.3: replace a sub-attribute of the work address',
    resource: { ...ADA, addresses: [{ type: 'work', streetAddress: '1 Old Road' }] },
    ops: [
      {
        op: 'replace',
        path: 'addresses[type eq "work"].streetAddress',
        value: '1010 Broadway Ave',
      },
    ],
    expected: { ...ADA, addresses: [{ type: 'work', streetAddress: '1010 Broadway Ave' }] },
  },
  {
    name: 'RFC 7644 §3.5.2.3: path-less replace of emails and nickname',
    resource: {
      ...ADA,
      emails: [{ value: 'old@example.com', type: 'other' }],
    },
    ops: [
      {
        op: 'replace',
        value: {
          emails: [
            { value: 'bjensen@example.com', type: 'work', primary: true },
            { value: 'babs@jensen.org', type: 'home' },
          ],
          nickname: 'Babs',
        },
      },
    ],
    expected: {
      ...ADA,
      emails: [
        { value: 'bjensen@example.com', type: 'work', primary: true },
        { value: 'babs@jensen.org', type: 'home' },
      ],
      nickName: 'Babs',
    },
  },
];

const paths: Case[] = [
  {
    name: 'attribute names ignore case: username',
    ops: [{ op: 'replace', path: 'username', value: 'ada@lovelace.org' }],
    expected: { ...ADA, userName: 'ada@lovelace.org' },
  },
  {
    name: 'attribute names ignore case: Name.GivenName',
    ops: [{ op: 'replace', path: 'Name.GivenName', value: 'Augusta' }],
    expected: { ...ADA, name: { givenName: 'Augusta', familyName: 'Lovelace' } },
  },
  {
    name: 'attribute names ignore case inside values; stored variants are canonicalised',
    resource: { ...withoutName, Name: { GivenName: 'Ada' } },
    ops: [{ op: 'add', value: { NAME: { FamilyName: 'Byron' } } }],
    expected: { ...ADA, name: { givenName: 'Ada', familyName: 'Byron' } },
  },
  {
    name: 'core-URN-qualified path',
    ops: [{ op: 'replace', path: `${CORE_USER}:userName`, value: 'ada@lovelace.org' }],
    expected: { ...ADA, userName: 'ada@lovelace.org' },
  },
  {
    name: 'extension URN as the path with an object value',
    resource: WITH_ENTERPRISE,
    ops: [{ op: 'add', path: ENTERPRISE, value: { costCenter: '4130' } }],
    expected: {
      ...WITH_ENTERPRISE,
      [ENTERPRISE]: {
        employeeNumber: '7',
        manager: { value: 'm1', displayName: 'Boss' },
        costCenter: '4130',
      },
    },
  },
  {
    name: 'remove a whole extension',
    resource: WITH_ENTERPRISE,
    ops: [{ op: 'remove', path: ENTERPRISE }],
    expected: ADA,
  },
  {
    name: 'complex replace merges sub-attributes (RFC 7644 §3.5.2.3)',
    ops: [{ op: 'replace', path: 'name', value: { givenName: 'Augusta', middleName: 'Ada' } }],
    expected: { ...ADA, name: { givenName: 'Augusta', familyName: 'Lovelace', middleName: 'Ada' } },
  },
  {
    name: 'remove a sub-attribute',
    ops: [{ op: 'remove', path: 'name.givenName' }],
    expected: { ...ADA, name: { familyName: 'Lovelace' } },
  },
  {
    name: 'remove a sub-attribute of the elements a filter matches',
    ops: [{ op: 'remove', path: 'emails[type eq "work"].primary' }],
    expected: { ...ADA, emails: [{ value: 'ada@example.com', type: 'work' }] },
  },
  {
    name: 'remove with a filter that matches nothing: no change, no error',
    ops: [{ op: 'remove', path: 'emails[type eq "home"]' }],
    expected: ADA,
    changed: false,
  },
  {
    name: 'remove of an absent attribute: no change',
    ops: [{ op: 'remove', path: 'title' }],
    expected: ADA,
    changed: false,
  },
  {
    name: 'remove the last element drops the attribute',
    ops: [{ op: 'remove', path: 'emails[value eq "ada@example.com"]' }],
    expected: { ...ADA, emails: undefined },
  },
  {
    name: 'replace with null unassigns',
    ops: [{ op: 'replace', path: 'displayName', value: null }],
    expected: { ...ADA, displayName: undefined },
  },
  {
    name: 'add with null changes nothing',
    ops: [{ op: 'add', path: 'displayName', value: null }],
    expected: ADA,
    changed: false,
  },
  {
    name: 'a null sub-attribute in a complex value unassigns it',
    ops: [{ op: 'replace', path: 'name', value: { familyName: null, givenName: 'A' } }],
    expected: { ...ADA, name: { givenName: 'A' } },
  },
  {
    name: 'add appends to a multi-valued attribute; a lone object is one value',
    ops: [{ op: 'add', path: 'emails', value: { value: 'ada@home.example', type: 'home' } }],
    expected: {
      ...ADA,
      emails: [
        { value: 'ada@example.com', type: 'work', primary: true },
        { value: 'ada@home.example', type: 'home' },
      ],
    },
  },
  {
    name: 'add of an equal value is not duplicated',
    ops: [
      {
        op: 'add',
        path: 'emails',
        value: [{ value: 'ada@example.com', type: 'work', primary: true }],
      },
    ],
    expected: ADA,
    changed: false,
  },
  {
    name: 'replace replaces the whole list',
    ops: [{ op: 'replace', path: 'emails', value: [{ value: 'a@b.c', type: 'home' }] }],
    expected: { ...ADA, emails: [{ value: 'a@b.c', type: 'home' }] },
  },
  {
    name: 'replace of a filtered element that does not exist creates it',
    ops: [{ op: 'replace', path: 'emails[type eq "home"]', value: { value: 'a@b.c' } }],
    expected: {
      ...ADA,
      emails: [
        { value: 'ada@example.com', type: 'work', primary: true },
        { type: 'home', value: 'a@b.c' },
      ],
    },
  },
  {
    name: 'creation from an and-filter takes every eq part, typed',
    resource: { ...ADA, emails: undefined },
    ops: [{ op: 'add', path: 'emails[type eq "work" and primary eq true].value', value: 'x@y' }],
    expected: { ...ADA, emails: [{ type: 'work', primary: true, value: 'x@y' }] },
  },
  {
    name: 'a filter operator spelled in capitals',
    ops: [{ op: 'replace', path: 'emails[Type EQ "work"].display', value: 'Work' }],
    expected: {
      ...ADA,
      emails: [{ value: 'ada@example.com', type: 'work', primary: true, display: 'Work' }],
    },
  },
  {
    name: 'primary: a new primary email demotes the old one',
    ops: [
      {
        op: 'add',
        path: 'emails',
        value: [{ value: 'a@home.example', type: 'home', primary: true }],
      },
    ],
    expected: {
      ...ADA,
      emails: [
        { value: 'ada@example.com', type: 'work', primary: false },
        { value: 'a@home.example', type: 'home', primary: true },
      ],
    },
  },
  {
    name: 'primary: the last of several set true in one value wins',
    ops: [
      {
        op: 'replace',
        path: 'emails',
        value: [
          { value: 'a@x.example', primary: true },
          { value: 'b@x.example', primary: true },
        ],
      },
    ],
    expected: {
      ...ADA,
      emails: [
        { value: 'a@x.example', primary: false },
        { value: 'b@x.example', primary: true },
      ],
    },
  },
  {
    name: 'primary: set through a filtered sub-attribute path',
    resource: {
      ...ADA,
      emails: [
        { value: 'ada@example.com', type: 'work', primary: true },
        { value: 'ada@home.example', type: 'home' },
      ],
    },
    ops: [{ op: 'replace', path: 'emails[type eq "home"].primary', value: true }],
    expected: {
      ...ADA,
      emails: [
        { value: 'ada@example.com', type: 'work', primary: false },
        { value: 'ada@home.example', type: 'home', primary: true },
      ],
    },
  },
  {
    name: 'primary: across operations, the later one wins',
    resource: { ...ADA, emails: undefined },
    ops: [
      { op: 'add', path: 'emails[type eq "home"].primary', value: true },
      { op: 'add', path: 'emails[type eq "work"].primary', value: true },
      { op: 'add', path: 'emails[type eq "home"].value', value: 'h@x.example' },
    ],
    expected: {
      ...ADA,
      emails: [
        { type: 'home', primary: false, value: 'h@x.example' },
        { type: 'work', primary: true },
      ],
    },
  },
  {
    name: 'schema URNs ignore case',
    ops: [
      {
        op: 'add',
        path: 'URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:EmployeeNumber',
        value: '9',
      },
    ],
    expected: { ...ADA, schemas: [CORE_USER, ENTERPRISE], [ENTERPRISE]: { employeeNumber: '9' } },
  },
  {
    name: 'filters: ne, pr, sw, co, not and parentheses',
    resource: {
      ...ADA,
      emails: [
        { value: 'ada@example.com', type: 'work', primary: true },
        { value: 'ada@home.example', type: 'home', display: 'Home' },
        { value: 'countess@lovelace.org', type: 'other' },
        { value: 'old@example.com', type: 'other' },
      ],
    },
    ops: [
      { op: 'remove', path: 'emails[display pr]' },
      { op: 'remove', path: 'emails[type ne "work" and value sw "COUNTESS"]' },
      { op: 'remove', path: 'emails[not (type eq "work") and (value co "@example")]' },
    ],
    expected: ADA,
  },
  {
    name: 'writeOnly password is accepted and returned for the caller to drop',
    ops: [{ op: 'replace', value: { password: 't1meMa$heen' } }],
    expected: { ...ADA, password: 't1meMa$heen' },
    changed: true,
  },
  {
    name: 'a path-less "schemas" key is ignored',
    ops: [{ op: 'replace', value: { schemas: [CORE_USER], displayName: 'Ada' } }],
    expected: { ...ADA, displayName: 'Ada' },
  },
  {
    name: 'meta written with its current value: no change',
    ops: [{ op: 'replace', value: { id: 'u1', meta: META } }],
    expected: ADA,
    changed: false,
  },
  {
    name: 'an empty path counts as no path',
    ops: [{ op: 'replace', path: '', value: { title: 'Countess' } }],
    expected: { ...ADA, title: 'Countess' },
  },
  {
    name: 'readOnly sub-attributes inside a value are dropped (manager.displayName)',
    ops: [{ op: 'add', path: `${ENTERPRISE}:manager`, value: { value: 'm3', displayName: 'X' } }],
    expected: {
      ...ADA,
      schemas: [CORE_USER, ENTERPRISE],
      [ENTERPRISE]: { manager: { value: 'm3' } },
    },
  },
  {
    name: 'types: integer, decimal, dateTime and an immutable set once',
    schema: TYPES,
    resource: { id: 't1' },
    ops: [
      { op: 'add', path: 'count', value: 3 },
      { op: 'add', path: 'ratio', value: 0.5 },
      { op: 'add', path: 'seenAt', value: '2024-05-01T10:00:00.000Z' },
      { op: 'add', path: 'serial', value: 'SN-1' },
      { op: 'replace', path: 'serial', value: 'SN-1' },
    ],
    expected: {
      id: 't1',
      count: 3,
      ratio: 0.5,
      seenAt: '2024-05-01T10:00:00.000Z',
      serial: 'SN-1',
    },
  },
];

const members: Case[] = [
  group({
    name: 'members: add then remove the same id → removed',
    ops: [
      { op: 'add', path: 'members', value: [{ value: 'u1' }] },
      { op: 'remove', path: 'members[value eq "u1"]' },
    ],
    deltas: { members: removeMembers('u1') },
  }),
  group({
    name: 'members: remove then add the same id → added',
    ops: [
      { op: 'remove', path: 'members[value eq "u1"]' },
      { op: 'add', path: 'members', value: [{ value: 'u1' }] },
    ],
    deltas: { members: addMembers('u1') },
  }),
  group({
    name: 'members: or-filter removes each id',
    ops: [{ op: 'remove', path: 'members[value eq "a" or value eq "b"]' }],
    deltas: { members: removeMembers('a', 'b') },
  }),
  group({
    name: 'members: path-less replace with a members key',
    ops: [{ op: 'replace', value: { members: [{ value: 'a' }, { value: 'b' }] } }],
    deltas: { members: replaceMembers('a', 'b') },
  }),
  group({
    name: 'members: path-less add with a members key',
    ops: [{ op: 'Add', value: { members: [{ value: 'a', $ref: null, display: 'A' }] } }],
    deltas: { members: addMembers('a') },
  }),
  group({
    name: 'members: replace then add and remove edit the replacement',
    ops: [
      { op: 'replace', path: 'members', value: [{ value: 'a' }, { value: 'b' }] },
      { op: 'add', path: 'members', value: [{ value: 'c' }] },
      { op: 'remove', path: 'members[value eq "a"]' },
    ],
    deltas: { members: replaceMembers('b', 'c') },
  }),
  group({
    name: 'members: duplicate ids collapse',
    ops: [{ op: 'add', path: 'members', value: [{ value: 'a' }, { value: 'a' }] }],
    deltas: { members: addMembers('a') },
  }),
  group({
    name: 'members: replace with null empties the group',
    ops: [{ op: 'replace', path: 'members', value: null }],
    deltas: { members: replaceMembers() },
  }),
  group({
    name: 'members: a numeric id is invalidValue',
    ops: [{ op: 'add', path: 'members', value: [{ value: 5 }] }],
    error: 'invalidValue',
  }),
  group({
    name: 'members: a numeric id in a filter is invalidValue',
    ops: [{ op: 'remove', path: 'members[value eq 5]' }],
    error: 'invalidValue',
  }),
  group({
    name: 'members: a bare id string is invalidValue',
    ops: [{ op: 'add', path: 'members', value: ['u1'] }],
    error: 'invalidValue',
  }),
  group({
    name: 'members: an element without value is invalidValue',
    ops: [{ op: 'add', path: 'members', value: [{ display: 'A' }] }],
    error: 'invalidValue',
  }),
  group({
    name: 'members: a filter not on value is invalidPath',
    ops: [{ op: 'remove', path: 'members[display eq "A"]' }],
    error: 'invalidPath',
  }),
  group({
    name: 'members: an and-filter is invalidPath',
    ops: [{ op: 'remove', path: 'members[value eq "a" and type eq "User"]' }],
    error: 'invalidPath',
  }),
  group({
    name: 'members: a sub-attribute path is invalidPath',
    ops: [{ op: 'replace', path: 'members.display', value: 'x' }],
    error: 'invalidPath',
  }),
  group({
    name: 'members: add with a filter is invalidPath',
    ops: [{ op: 'add', path: 'members[value eq "a"]', value: { value: 'a' } }],
    error: 'invalidPath',
  }),
  group({
    name: 'members: an unknown member sub-attribute is ignored',
    ops: [{ op: 'add', path: 'members', value: [{ value: 'a', role: 'x' }] }],
    deltas: { members: addMembers('a') },
  }),
  group({
    name: 'members: a known sub-attribute of the wrong type is still invalidValue',
    ops: [{ op: 'add', path: 'members', value: [{ value: 'a', display: 5, role: 'x' }] }],
    error: 'invalidValue',
  }),
  group({
    name: 'members: an element with only unknown sub-attributes has no value (invalidValue)',
    ops: [{ op: 'add', path: 'members', value: [{ displayName: 'new User' }] }],
    error: 'invalidValue',
  }),
];

/** Shapes seen from Postman collections, Microsoft's SCIM test collection and hand-written calls. */
const realTools: Case[] = [
  group({
    name: 'Microsoft test collection: add members with displayName',
    ops: [{ op: 'Add', path: 'members', value: [{ displayName: 'new User', value: 'u1' }] }],
    deltas: { members: addMembers('u1') },
  }),
  group({
    name: 'members with displayName: path-less replace, and a lone object',
    ops: [
      { op: 'replace', value: { members: [{ displayName: 'A', value: 'a' }] } },
      { op: 'add', path: 'members', value: { displayName: 'B', value: 'b' } },
    ],
    deltas: { members: replaceMembers('a', 'b') },
  }),
  group({
    name: 'members with displayName: remove with a value',
    ops: [{ op: 'Remove', path: 'members', value: [{ displayName: 'new User', value: 'u1' }] }],
    deltas: { members: removeMembers('u1') },
  }),
  group({
    name: 'member sub-attribute names ignore case (Value)',
    ops: [{ op: 'add', path: 'members', value: [{ Value: 'u1', Display: 'x' }] }],
    deltas: { members: addMembers('u1') },
  }),
  group({
    name: 'a bare id in a members filter',
    ops: [{ op: 'remove', path: 'members[value eq 2819c223-7f76-453a-919d-413861904646]' }],
    deltas: { members: removeMembers('2819c223-7f76-453a-919d-413861904646') },
  }),
  {
    name: 'a bare word in a value filter',
    ops: [{ op: 'replace', path: 'emails[type eq work].value', value: 'ada@lovelace.org' }],
    expected: {
      ...ADA,
      emails: [{ value: 'ada@lovelace.org', type: 'work', primary: true }],
    },
  },
  {
    name: 'a filter value is a JSON string: escapes are decoded',
    ops: [{ op: 'remove', path: 'emails[type eq "w\\u006frk"]' }],
    expected: { ...ADA, emails: undefined },
  },
  {
    name: 'a filter value escaping to a NUL is invalidPath (no column can hold it)',
    ops: [{ op: 'add', path: 'emails[type eq "\\u0000"].value', value: 'x@y' }],
    error: 'invalidPath',
  },
  {
    name: 'an extension object with its own "schemas" (path-less)',
    ops: [
      {
        op: 'replace',
        value: { [ENTERPRISE]: { schemas: [ENTERPRISE], department: 'X' } },
      },
    ],
    expected: { ...ADA, schemas: [CORE_USER, ENTERPRISE], [ENTERPRISE]: { department: 'X' } },
  },
  {
    name: 'an extension object with its own "Schemas" (path = the extension URN)',
    resource: WITH_ENTERPRISE,
    ops: [{ op: 'add', path: ENTERPRISE, value: { Schemas: [ENTERPRISE], department: 'X' } }],
    expected: {
      ...WITH_ENTERPRISE,
      [ENTERPRISE]: {
        employeeNumber: '7',
        manager: { value: 'm1', displayName: 'Boss' },
        department: 'X',
      },
    },
  },
  {
    name: 'attribute names of any case, path-less and in a value, come out canonical',
    ops: [
      {
        op: 'replace',
        value: {
          Emails: [{ Primary: true, Value: 'ada@lovelace.org', Type: 'work' }],
          DISPLAYNAME: 'Ada',
          [ENTERPRISE.toUpperCase()]: { Department: 'X', MANAGER: { Value: 'm9' } },
        },
      },
    ],
    expected: {
      ...ADA,
      schemas: [CORE_USER, ENTERPRISE],
      emails: [{ primary: true, value: 'ada@lovelace.org', type: 'work' }],
      displayName: 'Ada',
      [ENTERPRISE]: { department: 'X', manager: { value: 'm9' } },
    },
  },
  {
    name: 'attribute names of any case in a path with a filter come out canonical',
    ops: [{ op: 'add', path: 'PhoneNumbers[Type eq "work"].Value', value: '555-0100' }],
    expected: { ...ADA, phoneNumbers: [{ type: 'work', value: '555-0100' }] },
  },
  {
    name: 'the PatchOp message names ignore case (operations, Op, Path, Value)',
    request: {
      Schemas: [PATCH_OP_SCHEMA],
      operations: [{ Op: 'replace', Path: 'title', Value: 'Countess' }],
    },
    expected: { ...ADA, title: 'Countess' },
  },
];

const errors: Case[] = [
  // invalidSyntax: malformed request, unknown op, missing value
  { name: 'unknown op', ops: [{ op: 'copy', path: 'title', value: 'x' }], error: 'invalidSyntax' },
  { name: 'op missing', ops: [{ path: 'title', value: 'x' }], error: 'invalidSyntax' },
  { name: 'op not a string', ops: [{ op: 1, path: 'title', value: 'x' }], error: 'invalidSyntax' },
  { name: 'an operation that is not an object', ops: ['add'], error: 'invalidSyntax' },
  { name: 'Operations missing', request: { schemas: [PATCH_OP_SCHEMA] }, error: 'invalidSyntax' },
  {
    name: 'Operations empty',
    request: { schemas: [PATCH_OP_SCHEMA], Operations: [] },
    error: 'invalidSyntax',
  },
  {
    name: 'Operations not an array',
    request: { schemas: [PATCH_OP_SCHEMA], Operations: { op: 'add' } },
    error: 'invalidSyntax',
  },
  {
    name: 'schemas missing',
    request: { Operations: [{ op: 'replace', path: 'title', value: 'x' }] },
    error: 'invalidSyntax',
  },
  {
    name: 'schemas without the PatchOp URN',
    request: { schemas: [CORE_USER], Operations: [{ op: 'replace', path: 'title', value: 'x' }] },
    error: 'invalidSyntax',
  },
  { name: 'request not an object', request: 'replace', error: 'invalidSyntax' },
  { name: 'request null', request: null, error: 'invalidSyntax' },
  { name: 'add without value', ops: [{ op: 'add', path: 'title' }], error: 'invalidSyntax' },
  {
    name: 'replace without value',
    ops: [{ op: 'Replace', path: 'title' }],
    error: 'invalidSyntax',
  },
  {
    name: 'path not a string',
    ops: [{ op: 'replace', path: 5, value: 'x' }],
    error: 'invalidSyntax',
  },
  {
    name: 'path-less add with a non-object value',
    ops: [{ op: 'add', value: 'x' }],
    error: 'invalidSyntax',
  },
  {
    name: 'path-less replace with an array value',
    ops: [{ op: 'replace', value: [{ active: false }] }],
    error: 'invalidSyntax',
  },
  // noTarget
  { name: 'remove without path (RFC 7644 §3.5.2.2)', ops: [{ op: 'remove' }], error: 'noTarget' },
  {
    name: 'Remove with an empty path',
    ops: [{ op: 'Remove', path: ' ', value: [{ value: 'x' }] }],
    error: 'noTarget',
  },
  {
    name: 'replace through a filter that matches nothing and describes no element',
    ops: [{ op: 'replace', path: 'emails[value co "nope"].type', value: 'home' }],
    error: 'noTarget',
  },
  {
    name: 'replace through an or-filter that matches nothing',
    ops: [{ op: 'replace', path: 'emails[type eq "a" or type eq "b"].value', value: 'x@y' }],
    error: 'noTarget',
  },
  {
    name: 'a sub-attribute of every element of an empty list',
    resource: { ...ADA, emails: undefined },
    ops: [{ op: 'replace', path: 'emails.type', value: 'work' }],
    error: 'noTarget',
  },
  // invalidPath
  {
    name: 'unknown attribute',
    ops: [{ op: 'replace', path: 'shoeSize', value: '9' }],
    error: 'invalidPath',
  },
  {
    name: 'unknown path-less key',
    ops: [{ op: 'replace', value: { active: false, shoeSize: '9' } }],
    error: 'invalidPath',
  },
  {
    name: 'unknown sub-attribute',
    ops: [{ op: 'replace', path: 'name.nickname', value: 'x' }],
    error: 'invalidPath',
  },
  {
    name: 'unknown sub-attribute inside a value',
    ops: [{ op: 'add', path: 'emails', value: [{ value: 'x@y', label: 'w' }] }],
    error: 'invalidPath',
  },
  {
    name: 'unknown attribute of a known extension',
    ops: [{ op: 'Add', path: `${ENTERPRISE}:badgeNumber`, value: '1' }],
    error: 'invalidPath',
  },
  {
    name: 'unknown key in an extension object',
    ops: [{ op: 'add', value: { [ENTERPRISE]: { badgeNumber: '1' } } }],
    error: 'invalidPath',
  },
  {
    name: 'unknown schema URN',
    ops: [
      { op: 'add', path: 'urn:ietf:params:scim:schemas:extension:acme:2.0:User:team', value: 'x' },
    ],
    error: 'invalidPath',
  },
  {
    name: 'unclosed filter',
    ops: [{ op: 'replace', path: 'emails[type eq "work"', value: 'x' }],
    error: 'invalidPath',
  },
  {
    name: 'bad filter',
    ops: [{ op: 'replace', path: 'emails[type eq].value', value: 'x' }],
    error: 'invalidPath',
  },
  {
    name: 'filter on an unknown sub-attribute',
    ops: [{ op: 'remove', path: 'emails[kind eq "work"]' }],
    error: 'invalidPath',
  },
  {
    name: 'nested filter',
    ops: [{ op: 'remove', path: 'emails[type[value eq "x"]]' }],
    error: 'invalidPath',
  },
  {
    name: 'filter on a single-valued attribute',
    ops: [{ op: 'remove', path: 'name[givenName eq "Ada"]' }],
    error: 'invalidPath',
  },
  {
    name: 'sub-attribute of a simple attribute',
    ops: [{ op: 'replace', path: 'userName.first', value: 'x' }],
    error: 'invalidPath',
  },
  {
    name: 'three levels',
    ops: [{ op: 'replace', path: 'name.givenName.first', value: 'x' }],
    error: 'invalidPath',
  },
  {
    name: 'trailing garbage after a filter',
    ops: [{ op: 'replace', path: 'emails[type eq "work"]value', value: 'x' }],
    error: 'invalidPath',
  },
  {
    name: 'path that is not an attribute name',
    ops: [{ op: 'replace', path: '[type eq "work"]', value: 'x' }],
    error: 'invalidPath',
  },
  {
    name: 'a __proto__ key is an unknown attribute (no prototype pollution)',
    request: JSON.parse(
      `{"schemas":["${PATCH_OP_SCHEMA}"],"Operations":[{"op":"add","value":{"__proto__":{"polluted":true}}}]}`,
    ),
    error: 'invalidPath',
  },
  {
    name: 'a __proto__ sub-attribute in a value is unknown',
    request: JSON.parse(
      `{"schemas":["${PATCH_OP_SCHEMA}"],"Operations":[{"op":"add","path":"name","value":{"__proto__":{"polluted":true}}}]}`,
    ),
    error: 'invalidPath',
  },
  {
    name: 'constructor is not an attribute',
    ops: [{ op: 'replace', path: 'constructor', value: 'x' }],
    error: 'invalidPath',
  },
  // invalidValue
  {
    name: 'string attribute given a number',
    ops: [{ op: 'replace', path: 'userName', value: 5 }],
    error: 'invalidValue',
  },
  {
    name: 'single-valued attribute given an array',
    ops: [{ op: 'replace', path: 'displayName', value: ['a'] }],
    error: 'invalidValue',
  },
  {
    name: 'complex attribute given a string',
    ops: [{ op: 'replace', path: 'name', value: 'Ada Lovelace' }],
    error: 'invalidValue',
  },
  {
    name: 'multi-valued complex given strings',
    ops: [{ op: 'add', path: 'emails', value: ['x@y'] }],
    error: 'invalidValue',
  },
  {
    name: 'null element in a list',
    ops: [{ op: 'add', path: 'emails', value: [null] }],
    error: 'invalidValue',
  },
  {
    name: 'boolean sub-attribute given a number',
    ops: [{ op: 'add', path: 'emails', value: [{ value: 'x@y', primary: 1 }] }],
    error: 'invalidValue',
  },
  {
    name: 'extension URN path given a string',
    ops: [{ op: 'add', path: ENTERPRISE, value: 'x' }],
    error: 'invalidValue',
  },
  {
    name: 'integer given a fraction',
    schema: TYPES,
    resource: { id: 't1' },
    ops: [{ op: 'add', path: 'count', value: 1.5 }],
    error: 'invalidValue',
  },
  {
    name: 'integer given a numeric string',
    schema: TYPES,
    resource: { id: 't1' },
    ops: [{ op: 'add', path: 'count', value: '1' }],
    error: 'invalidValue',
  },
  {
    name: 'decimal given a string',
    schema: TYPES,
    resource: { id: 't1' },
    ops: [{ op: 'add', path: 'ratio', value: '0.5' }],
    error: 'invalidValue',
  },
  {
    name: 'dateTime given prose',
    schema: TYPES,
    resource: { id: 't1' },
    ops: [{ op: 'add', path: 'seenAt', value: 'yesterday' }],
    error: 'invalidValue',
  },
  // mutability
  { name: 'replace id', ops: [{ op: 'replace', path: 'id', value: 'u2' }], error: 'mutability' },
  {
    name: 'path-less id that differs',
    ops: [{ op: 'replace', value: { id: 'u2', active: false } }],
    error: 'mutability',
  },
  {
    name: 'write meta',
    ops: [{ op: 'replace', path: 'meta.lastModified', value: '2030-01-01T00:00:00Z' }],
    error: 'mutability',
  },
  {
    name: 'write meta object',
    ops: [{ op: 'add', value: { meta: { version: 'W/"9"' } } }],
    error: 'mutability',
  },
  {
    name: 'write schemas by path',
    ops: [{ op: 'add', path: 'schemas', value: [ENTERPRISE] }],
    error: 'mutability',
  },
  {
    name: 'add groups (readOnly)',
    ops: [{ op: 'add', path: 'groups', value: [{ value: 'g1' }] }],
    error: 'mutability',
  },
  {
    name: 'remove groups (readOnly)',
    ops: [{ op: 'remove', path: 'groups' }],
    error: 'mutability',
  },
  { name: 'remove id', ops: [{ op: 'remove', path: 'id' }], error: 'mutability' },
  {
    name: 'remove userName (required)',
    ops: [{ op: 'Remove', path: 'userName' }],
    error: 'mutability',
  },
  {
    name: 'replace userName with null (required)',
    ops: [{ op: 'replace', path: 'userName', value: null }],
    error: 'mutability',
  },
  group({
    name: 'remove group displayName (required)',
    ops: [{ op: 'remove', path: 'displayName' }],
    error: 'mutability',
  }),
  {
    name: 'change an immutable attribute',
    schema: TYPES,
    resource: { id: 't1', serial: 'SN-1' },
    ops: [{ op: 'replace', path: 'serial', value: 'SN-2' }],
    error: 'mutability',
  },
  {
    name: 'remove an immutable attribute',
    schema: TYPES,
    resource: { id: 't1', serial: 'SN-1' },
    ops: [{ op: 'remove', path: 'serial' }],
    error: 'mutability',
  },
  // atomicity
  {
    name: 'all or nothing: a failing later operation fails the request',
    ops: [
      { op: 'replace', path: 'active', value: false },
      { op: 'replace', path: 'shoeSize', value: '9' },
    ],
    error: 'invalidPath',
  },
];

const TABLE: [string, Case[]][] = [
  ['Okta', okta],
  ['Microsoft Entra ID', entra],
  ['Gatehouse roles', gatehouseRoles],
  ['RFC 7644 §3.5.2 examples', rfc],
  ['paths and values', paths],
  ['deltaOnly members', members],
  ['what real tools send', realTools],
  ['errors', errors],
];

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function run(c: Case) {
  const resource = deepFreeze(structuredClone(c.resource ?? ADA));
  const request = deepFreeze(
    'request' in c ? c.request : { schemas: [PATCH_OP_SCHEMA], Operations: c.ops },
  );
  return { resource, result: () => applyPatch(resource, request, c.schema ?? USER) };
}

describe('applyPatch', () => {
  for (const [section, cases] of TABLE) {
    describe(section, () => {
      it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
        const { resource, result } = run(c);
        if (c.error) {
          let thrown: unknown;
          try {
            result();
          } catch (e) {
            thrown = e;
          }
          expect(thrown).toBeInstanceOf(ScimError);
          expect((thrown as ScimError).scimType).toBe(c.error);
          expect((thrown as ScimError).status).toBe(400);
          return;
        }
        const out = result();
        expect(out.resource).toEqual(c.expected ?? resource);
        expect(out.deltas).toEqual(c.deltas ?? {});
        if (c.changed !== undefined) expect(out.changed).toBe(c.changed);
        if (c.dialect) expect(out.dialect).toMatchObject(c.dialect);
        // Output uses no non-canonical duplicates and never aliases the input.
        expect(out.resource).not.toBe(resource);
      });
    });
  }

  it('never mutates its input (inputs are frozen in every case) and returns a fresh copy', () => {
    const resource = structuredClone(ADA);
    const out = applyPatch(
      resource,
      {
        schemas: [PATCH_OP_SCHEMA],
        Operations: [{ op: 'replace', path: 'name.givenName', value: 'X' }],
      },
      USER,
    );
    expect(resource).toEqual(ADA);
    expect(out.resource.name).not.toBe(resource.name);
    expect(out.resource.emails).not.toBe(resource.emails);
  });

  it('does not share objects of the request with the result', () => {
    const value = [{ value: 'x@y.example', type: 'home' }];
    const out = applyPatch(
      ADA,
      { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'add', path: 'emails', value }] },
      USER,
    );
    const emails = out.resource.emails as Json[];
    expect(emails[1]).toEqual(value[0]);
    expect(emails[1]).not.toBe(value[0]);
  });

  it('names the failing operation in the error detail', () => {
    expect(() =>
      applyPatch(
        ADA,
        {
          schemas: [PATCH_OP_SCHEMA],
          Operations: [
            { op: 'replace', path: 'active', value: false },
            { op: 'Add', path: 'shoeSize', value: '9' },
          ],
        },
        USER,
      ),
    ).toThrow(/^Operations\[1\] \(add shoeSize\): .*shoeSize/);
  });

  it('reports no dialect quirks for a standard request', () => {
    const out = applyPatch(
      ADA,
      { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'replace', path: 'active', value: false }] },
      USER,
    );
    expect(out.dialect).toEqual({ capitalizedOps: false, stringBooleans: false });
    expect(out.changed).toBe(true);
  });

  it('keeps deltas out of the resource: members in the stored group are untouched', () => {
    const stored = { ...ENG, members: [{ value: 'u1' }] };
    const out = applyPatch(
      stored,
      { schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'remove', path: 'members' }] },
      GROUP,
    );
    expect(out.resource.members).toEqual([{ value: 'u1' }]);
    expect(out.deltas).toEqual({ members: replaceMembers() });
  });
});

describe('canonicalNames', () => {
  it('spells every declared name as the schema does, at every level', () => {
    const body = deepFreeze({
      Schemas: [CORE_USER, ENTERPRISE],
      ID: 'u1',
      EXTERNALID: 'x1',
      UserName: 'ada@example.com',
      Name: { GivenName: 'Ada', familyname: 'Lovelace' },
      emails: [{ Primary: true, Value: 'ada@example.com', Type: 'work' }, 'not an object'],
      Active: false,
      [ENTERPRISE.toUpperCase()]: {
        schemas: [ENTERPRISE],
        Department: 'Engines',
        Manager: { Value: 'm1', DISPLAYNAME: 'Boss' },
      },
    });
    expect(canonicalNames(body, USER)).toEqual({
      schemas: [CORE_USER, ENTERPRISE],
      id: 'u1',
      externalId: 'x1',
      userName: 'ada@example.com',
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      emails: [{ primary: true, value: 'ada@example.com', type: 'work' }, 'not an object'],
      active: false,
      [ENTERPRISE]: { department: 'Engines', manager: { value: 'm1', displayName: 'Boss' } },
    });
  });

  it('keeps names the schema lacks as sent, and values as they are', () => {
    const body = {
      ShoeSize: '9',
      name: 'not an object',
      emails: [{ Value: 'a@b.c', Label: 'w' }],
      'urn:example:Acme': { Team: 'x' },
    };
    expect(canonicalNames(body, USER)).toEqual({
      ShoeSize: '9',
      name: 'not an object',
      emails: [{ value: 'a@b.c', Label: 'w' }],
      'urn:example:Acme': { Team: 'x' },
    });
  });

  it('groups: members and the extension URN of Entra', () => {
    const body = {
      DisplayName: 'Eng',
      Members: [{ Value: 'u1', displayName: 'new User' }],
      [ENTRA_GROUP.toLowerCase()]: { Schemas: [], Anything: 1 },
    };
    expect(canonicalNames(body, GROUP)).toEqual({
      displayName: 'Eng',
      members: [{ value: 'u1', displayName: 'new User' }],
      [ENTRA_GROUP]: { Anything: 1 },
    });
  });

  it('of two keys naming one attribute, keeps the later', () => {
    expect(canonicalNames({ userName: 'a', USERNAME: 'b' }, USER)).toEqual({ userName: 'b' });
    expect(canonicalNames({ Title: 'a', title: 'b' }, USER)).toEqual({ title: 'b' });
  });

  it('a __proto__ key stays an own property and never becomes the prototype', () => {
    const body = JSON.parse(
      '{"__proto__":{"role":"admin"},"name":{"__proto__":{"givenName":"x"}}}',
    ) as Json;
    const out = canonicalNames(body, USER);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out.role).toBeUndefined();
    expect(Object.keys(out)).toEqual(['__proto__', 'name']);
    const name = out.name as Json;
    expect(Object.getPrototypeOf(name)).toBe(Object.prototype);
    expect(name.givenName).toBeUndefined();
  });
});
