import {
  type AccountFacts,
  accountOwner,
  mayAssignEmail,
  mayEditAccount,
  mayLinkAccount,
} from './account-authority.js';

const A = 'workspace-a';
const B = 'workspace-b';

function account(facts: Partial<AccountFacts>): AccountFacts {
  return {
    userId: 'u',
    email: 'ada@corp.test',
    domainWorkspaceId: null,
    scimWorkspaceId: null,
    createdByWorkspaceId: null,
    memberOf: [],
    ...facts,
  };
}

describe('account authority', () => {
  const cases: {
    name: string;
    facts: Partial<AccountFacts>;
    owner: string | null;
    linkA: boolean;
  }[] = [
    {
      name: 'a verified domain wins over everything',
      facts: { domainWorkspaceId: B, scimWorkspaceId: A, createdByWorkspaceId: A, memberOf: [A] },
      owner: B,
      linkA: false,
    },
    {
      name: 'the domain workspace may link',
      facts: { domainWorkspaceId: A, memberOf: [B] },
      owner: A,
      linkA: true,
    },
    {
      name: 'the SCIM workspace owns, even when the person joined others',
      facts: { scimWorkspaceId: B, memberOf: [A, B] },
      owner: B,
      linkA: false,
    },
    {
      name: 'the creator owns while the person belongs to it alone',
      facts: { createdByWorkspaceId: B, memberOf: [B] },
      owner: B,
      linkA: false,
    },
    {
      name: 'the creator loses it once the person joins another workspace',
      facts: { createdByWorkspaceId: B, memberOf: [B, A] },
      owner: null,
      linkA: false,
    },
    {
      name: 'an account of B that also joined A cannot be linked by A',
      facts: { createdByWorkspaceId: B, memberOf: [A, B] },
      owner: null,
      linkA: false,
    },
    {
      name: 'an account that belongs to A alone, made elsewhere, may be linked by A',
      facts: { createdByWorkspaceId: B, memberOf: [A] },
      owner: null,
      linkA: true,
    },
    {
      name: 'an account that belongs to nobody may be linked',
      facts: { createdByWorkspaceId: B, memberOf: [] },
      owner: B,
      linkA: true,
    },
    {
      name: 'nobody owns an account of unknown origin in two workspaces',
      facts: { memberOf: [A, B] },
      owner: null,
      linkA: false,
    },
  ];

  it.each(cases)('$name', ({ facts, owner, linkA }) => {
    const f = account(facts);
    expect(accountOwner(f)).toBe(owner);
    expect(mayEditAccount(A, f)).toBe(owner === A);
    expect(mayLinkAccount(A, f)).toBe(linkA);
  });

  it('an email of a domain another workspace verified is only given by that workspace', () => {
    expect(mayAssignEmail(A, null)).toBe(true);
    expect(mayAssignEmail(A, A)).toBe(true);
    expect(mayAssignEmail(A, B)).toBe(false);
  });
});
