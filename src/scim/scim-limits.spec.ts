import { isScimPath, membersInRequest } from './scim-limits.js';

describe('SCIM limits', () => {
  const members = (n: number) => Array.from({ length: n }, (_, i) => ({ value: `id-${i}` }));

  it('counts the members a Group body or a PatchOp names, whatever the case of its keys', () => {
    expect(membersInRequest({ displayName: 'x', members: members(3) })).toBe(3);
    expect(membersInRequest({ Members: members(2) })).toBe(2);
    expect(
      membersInRequest({
        Operations: [
          { op: 'add', path: 'members', value: members(4) },
          { op: 'Remove', path: 'members[value eq "id-1"]' },
          {
            op: 'add',
            path: 'urn:ietf:params:scim:schemas:core:2.0:Group:members',
            value: members(1),
          },
          { op: 'replace', value: { members: members(5), displayName: 'y' } },
          { op: 'replace', path: 'displayName', value: 'z' },
        ],
      }),
    ).toBe(10);
    expect(membersInRequest(undefined)).toBe(0);
    expect(membersInRequest([members(3)])).toBe(0);
  });

  it('knows SCIM paths in any case, and nothing that only starts alike', () => {
    expect(isScimPath('/scim/v2')).toBe(true);
    expect(isScimPath('/SCIM/V2/Users')).toBe(true);
    expect(isScimPath('/scim/v22')).toBe(false);
    expect(isScimPath('/api/scim/v2')).toBe(false);
  });
});
