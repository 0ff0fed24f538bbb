import { describe, expect, it } from '@jest/globals';
import { ScimError } from './scim-error.js';
import { parseListQuery } from './list-query.js';
import { project, wants } from './projection.js';
import { requireSchema } from './request-body.js';

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const user = {
  schemas: [CORE, ENTERPRISE],
  id: 'u1',
  userName: 'ada@example.com',
  emails: [
    { value: 'ada@example.com', type: 'work', primary: true },
    { value: 'ada@home.example', type: 'home' },
  ],
  groups: [{ value: 'g1', display: 'Eng' }],
  [ENTERPRISE]: { department: 'Engines' },
};

describe('parseListQuery: attributes and excludedAttributes', () => {
  it('reads a value filter as the attribute it filters', () => {
    expect(parseListQuery({ attributes: 'emails[type eq "work"]' }).attributes).toEqual(['emails']);
    expect(
      parseListQuery({ excludedAttributes: 'userName,emails[type eq "work"].value' })
        .excludedAttributes,
    ).toEqual(['userName', 'emails.value']);
    expect(parseListQuery({ attributes: ['Emails[Type eq work]', 'groups'] }).attributes).toEqual([
      'Emails',
      'groups',
    ]);
  });

  it('splits at commas outside brackets and quoted strings only', () => {
    expect(
      parseListQuery({
        attributes:
          'emails[value eq "a,b" or (type eq "]" and primary eq true)], userName , ,groups',
      }).attributes,
    ).toEqual(['emails', 'userName', 'groups']);
    expect(parseListQuery({ attributes: 'emails[value eq "a\\",]"],x' }).attributes).toEqual([
      'emails',
      'x',
    ]);
  });

  it('keeps a name with an unclosed bracket or quote as sent (it names nothing)', () => {
    expect(parseListQuery({ attributes: 'emails[type eq "work"' }).attributes).toEqual([
      'emails[type eq "work"',
    ]);
    expect(parseListQuery({ attributes: 'emails[type eq "work]' }).attributes).toEqual([
      'emails[type eq "work]',
    ]);
  });

  it('projects and loads what a value filter names', () => {
    const query = parseListQuery({ attributes: 'emails[type eq "work"],groups[display eq x]' });
    expect(project(user, query, CORE, [ENTERPRISE])).toEqual({
      schemas: user.schemas,
      id: 'u1',
      emails: user.emails,
      groups: user.groups,
    });
    expect(wants(query, 'groups')).toBe(true);
    const excluded = parseListQuery({ excludedAttributes: 'emails[type eq "work"].value' });
    expect(project(user, excluded, CORE, [ENTERPRISE]).emails).toEqual([
      { type: 'work', primary: true },
      { type: 'home' },
    ]);
  });
});

describe('requireSchema', () => {
  it('finds "schemas" under any case', () => {
    expect(() => requireSchema({ Schemas: [CORE.toUpperCase()] }, CORE)).not.toThrow();
  });

  it('refuses a body without the schema (invalidSyntax)', () => {
    for (const body of [{}, { schemas: [ENTERPRISE] }, { schemas: CORE }]) {
      let error: unknown;
      try {
        requireSchema(body, CORE);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ScimError);
      expect((error as ScimError).scimType).toBe('invalidSyntax');
    }
  });
});
