import type supertest from 'supertest';
import { addMember } from '../support/fixtures.js';
import {
  GROUP_SCHEMA,
  oktaUser,
  PATCH_SCHEMA,
  type ScimWorkspace,
  scimWorkspace,
} from '../support/scim-fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

type Json = Record<string, unknown>;

const patchOp = (...Operations: Json[]) => ({ schemas: [PATCH_SCHEMA], Operations });

/** The counter(s) a weak ETag is made of: W/"3" → [3], W/"2-5" → [2, 5]. */
function versionsOf(etag: string): number[] {
  const match = /^W\/"(\d+(?:-\d+)*)"$/.exec(etag);
  if (!match) throw new Error(`not a version ETag: ${etag}`);
  return match[1]!.split('-').map(Number);
}

/**
 * Versions, not clocks (ARCHITECTURE.md §13): a User's ETag is its membership's version and its
 * person's, a Group's its own, and each write moves them by exactly one per request.
 */
describe('SCIM versions and ETags', () => {
  let t: TestApp;
  let ws: ScimWorkspace;
  let seq = 0;
  const unique = (name: string) => `${name}.${++seq}@versions.test`;

  beforeAll(async () => {
    t = await startTestApp();
    ws = await scimWorkspace(t);
  });
  afterAll(() => t.close());

  function scim(
    workspace: ScimWorkspace,
    method: 'get' | 'post' | 'put' | 'patch' | 'delete',
    path: string,
  ): supertest.Test {
    return t.http[method](`/scim/v2${path}`)
      .set('Authorization', workspace.auth)
      .set('Content-Type', 'application/scim+json');
  }
  const admin = (method: 'put' | 'patch' | 'delete' | 'post', path: string) =>
    t.http[method](`/api/workspaces/${ws.slug}${path}`).set('Authorization', t.internal);

  async function createUser(workspace: ScimWorkspace, email: string): Promise<string> {
    return (await scim(workspace, 'post', '/Users').send(oktaUser(email)).expect(201)).body
      .id as string;
  }
  async function etag(workspace: ScimWorkspace, path: string): Promise<string> {
    const res = await scim(workspace, 'get', path).expect(200);
    expect(res.headers.etag).toBe(res.body.meta.version);
    return res.headers.etag as string;
  }
  /** How much the Group's version moved while `change` ran. */
  async function groupMoves(groupId: string, change: () => Promise<unknown>): Promise<number> {
    const [before] = versionsOf(await etag(ws, `/Groups/${groupId}`));
    await change();
    const [after] = versionsOf(await etag(ws, `/Groups/${groupId}`));
    return after! - before!;
  }
  async function scimGroup(displayName: string, members: string[]): Promise<string> {
    const res = await scim(ws, 'post', '/Groups')
      .send({ schemas: [GROUP_SCHEMA], displayName, members: members.map((value) => ({ value })) })
      .expect(201);
    return res.body.id as string;
  }
  /** A group made by hand (admin API), which SCIM reads like any other. */
  async function handMadeGroup(displayName: string, memberIds: string[]): Promise<string> {
    const res = await admin('post', '/groups').send({ displayName, memberIds }).expect(201);
    return res.body.id as string;
  }

  describe('Users', () => {
    it('are versioned by their membership and their person: W/"<membership>-<person>"', async () => {
      const id = await createUser(ws, unique('ada'));
      const created = await etag(ws, `/Users/${id}`);
      expect(versionsOf(created)).toEqual([1, 1]);
      await scim(ws, 'patch', `/Users/${id}`)
        .send(patchOp({ op: 'replace', path: 'title', value: 'Engineer' }))
        .expect(200);
      // The membership's own data changed: its version moved by one, the person's did not.
      expect(versionsOf(await etag(ws, `/Users/${id}`))).toEqual([2, 1]);
    });

    it('412 on a stale version for PUT, PATCH and DELETE; nothing changes', async () => {
      const email = unique('stale');
      const id = await createUser(ws, email);
      const stale = await etag(ws, `/Users/${id}`);
      await scim(ws, 'patch', `/Users/${id}`)
        .send(patchOp({ op: 'replace', path: 'title', value: 'One' }))
        .expect(200);
      const current = await etag(ws, `/Users/${id}`);
      for (const request of [
        scim(ws, 'patch', `/Users/${id}`).send(
          patchOp({ op: 'replace', path: 'title', value: 'Two' }),
        ),
        scim(ws, 'put', `/Users/${id}`).send(oktaUser(email)),
        scim(ws, 'delete', `/Users/${id}`),
      ]) {
        const res = await request.set('If-Match', stale);
        expect(res.status).toBe(412);
        expect(res.body.detail).toContain(current);
      }
      const read = await scim(ws, 'get', `/Users/${id}`).expect(200);
      expect(read.body.title).toBe('One');
      expect(read.headers.etag).toBe(current);
      await scim(ws, 'delete', `/Users/${id}`).set('If-Match', current).expect(204);
    });

    it('If-None-Match: 304 while the version is current, the resource once it moved', async () => {
      const id = await createUser(ws, unique('cache'));
      const first = await etag(ws, `/Users/${id}`);
      await scim(ws, 'get', `/Users/${id}`).set('If-None-Match', first).expect(304);
      await scim(ws, 'patch', `/Users/${id}`)
        .send(patchOp({ op: 'replace', path: 'title', value: 'Moved' }))
        .expect(200);
      const res = await scim(ws, 'get', `/Users/${id}`).set('If-None-Match', first).expect(200);
      expect(res.body.title).toBe('Moved');
      expect(res.headers.etag).not.toBe(first);
    });

    it('an email change by the workspace that owns the account moves its ETag in every workspace', async () => {
      const email = unique('shared');
      const personId = await createUser(ws, email);
      // The same person, added by hand to another workspace that also reads them through SCIM.
      const other = await scimWorkspace(t);
      expect(await addMember(t, other.slug, email)).toBe(personId);
      const elsewhere = await etag(other, `/Users/${personId}`);

      // The owner changes only its own membership's data: the other workspace's ETag stays.
      await scim(ws, 'patch', `/Users/${personId}`)
        .send(patchOp({ op: 'replace', path: 'title', value: 'Own data' }))
        .expect(200);
      expect(await etag(other, `/Users/${personId}`)).toBe(elsewhere);

      // The owner changes the account's email: every workspace sees a new version.
      const renamed = unique('renamed');
      await scim(ws, 'patch', `/Users/${personId}`)
        .send(
          patchOp(
            { op: 'replace', path: 'userName', value: renamed },
            { op: 'replace', path: 'emails', value: [{ value: renamed, primary: true }] },
          ),
        )
        .expect(200);
      const moved = await etag(other, `/Users/${personId}`);
      expect(moved).not.toBe(elsewhere);
      const [membership, person] = versionsOf(moved);
      expect([membership, person]).toEqual([
        versionsOf(elsewhere)[0],
        versionsOf(elsewhere)[1]! + 1,
      ]);
      const read = await scim(other, 'get', `/Users/${personId}`).expect(200);
      expect(read.body.emails).toEqual([{ value: renamed, type: 'work', primary: true }]);
      // An IdP writing with the version it saw before is refused there too.
      await scim(other, 'patch', `/Users/${personId}`)
        .set('If-Match', elsewhere)
        .send(patchOp({ op: 'replace', path: 'title', value: 'Stale' }))
        .expect(412);
    });
  });

  describe('Groups: the version moves exactly once per request that changes them', () => {
    let people: string[];
    beforeAll(async () => {
      people = [];
      for (let i = 0; i < 4; i++) people.push(await createUser(ws, unique(`member${i}`)));
    });

    it('starts at 1, with its first members', async () => {
      const id = await scimGroup('Created with members', people.slice(0, 2));
      expect(versionsOf(await etag(ws, `/Groups/${id}`))).toEqual([1]);
    });

    it('SCIM PATCH renaming it and adding and removing members: one step', async () => {
      const id = await scimGroup('Patched', people.slice(0, 2));
      const moved = await groupMoves(id, () =>
        scim(ws, 'patch', `/Groups/${id}`)
          .send(
            patchOp(
              { op: 'replace', path: 'displayName', value: 'Patched again' },
              { op: 'remove', path: `members[value eq "${people[0]}"]` },
              { op: 'add', path: 'members', value: [{ value: people[2] }, { value: people[3] }] },
            ),
          )
          .expect(204),
      );
      expect(moved).toBe(1);
      const members = await groupMoves(id, () =>
        scim(ws, 'patch', `/Groups/${id}`)
          .send(
            patchOp(
              { op: 'remove', path: `members[value eq "${people[1]}"]` },
              { op: 'add', path: 'members', value: [{ value: people[0] }] },
            ),
          )
          .expect(204),
      );
      expect(members).toBe(1);
    });

    it('SCIM PUT replacing its members: one step; a request that changes nothing: none', async () => {
      const id = await scimGroup('Put', people.slice(0, 2));
      const put = (members: string[]) =>
        scim(ws, 'put', `/Groups/${id}`)
          .send({
            schemas: [GROUP_SCHEMA],
            displayName: 'Put',
            members: members.map((value) => ({ value })),
          })
          .expect(200);
      expect(await groupMoves(id, () => put(people.slice(1, 4)))).toBe(1);
      expect(await groupMoves(id, () => put(people.slice(1, 4)))).toBe(0);
      expect(
        await groupMoves(id, () =>
          scim(ws, 'patch', `/Groups/${id}`)
            .send(patchOp({ op: 'add', path: 'members', value: [{ value: people[1] }] }))
            .expect(204),
        ),
      ).toBe(0);
    });

    it('a member added or removed by hand (admin API): one step each; a stale If-Match is refused', async () => {
      const id = await handMadeGroup('By hand', [people[0]!]);
      const before = await etag(ws, `/Groups/${id}`);
      expect(
        await groupMoves(id, () => admin('put', `/groups/${id}/members/${people[1]}`).expect(204)),
      ).toBe(1);
      expect(
        await groupMoves(id, () =>
          admin('delete', `/groups/${id}/members/${people[0]}`).expect(204),
        ),
      ).toBe(1);
      // Removing someone who is not in it changes nothing.
      expect(
        await groupMoves(id, () =>
          admin('delete', `/groups/${id}/members/${people[0]}`).expect(204),
        ),
      ).toBe(0);
      await scim(ws, 'put', `/Groups/${id}`)
        .set('If-Match', before)
        .send({ schemas: [GROUP_SCHEMA], displayName: 'By hand' })
        .expect(412);
      await scim(ws, 'put', `/Groups/${id}`)
        .set('If-Match', await etag(ws, `/Groups/${id}`))
        .send({ schemas: [GROUP_SCHEMA], displayName: 'By hand' })
        .expect(200);
    });

    it('a rename and the admin role set by hand in one request: one step', async () => {
      const id = await handMadeGroup('Role by hand', []);
      expect(
        await groupMoves(id, () =>
          admin('patch', `/groups/${id}`)
            .send({ displayName: 'Role by hand, renamed', adminRole: true })
            .expect(200),
        ),
      ).toBe(1);
    });

    /** Two groups holding the person and one that does not: how each moved while `change` ran. */
    async function groupsOfOneMember(person: string, change: () => Promise<unknown>) {
      const holding = [
        await scimGroup(`Holding ${person} 1`, [person, people[0]!]),
        await handMadeGroup(`Holding ${person} 2`, [person]),
      ];
      const apart = await scimGroup(`Apart from ${person}`, [people[0]!]);
      const before = await Promise.all(
        [...holding, apart].map(async (id) => versionsOf(await etag(ws, `/Groups/${id}`))[0]!),
      );
      await change();
      const after = await Promise.all(
        [...holding, apart].map(async (id) => versionsOf(await etag(ws, `/Groups/${id}`))[0]!),
      );
      return after.map((v, i) => v - before[i]!);
    }

    it('a member removed by hand: each group they were in moves once, the others stay', async () => {
      const person = await createUser(ws, unique('removed-by-hand'));
      const moves = await groupsOfOneMember(person, () =>
        admin('delete', `/members/${person}`).expect(204),
      );
      expect(moves).toEqual([1, 1, 0]);
    });

    it('a member deactivated by hand: each group they were in moves once', async () => {
      const person = await createUser(ws, unique('deactivated-by-hand'));
      const moves = await groupsOfOneMember(person, () =>
        admin('patch', `/members/${person}`).send({ status: 'deactivated' }).expect(200),
      );
      expect(moves).toEqual([1, 1, 0]);
    });

    it('a member deactivated or deleted through SCIM: each group they were in moves once', async () => {
      const deactivated = await createUser(ws, unique('deactivated-by-scim'));
      expect(
        await groupsOfOneMember(deactivated, () =>
          scim(ws, 'patch', `/Users/${deactivated}`)
            .send(patchOp({ op: 'replace', value: { active: false } }))
            .expect(200),
        ),
      ).toEqual([1, 1, 0]);
      const deleted = await createUser(ws, unique('deleted-by-scim'));
      expect(
        await groupsOfOneMember(deleted, () => scim(ws, 'delete', `/Users/${deleted}`).expect(204)),
      ).toEqual([1, 1, 0]);
    });
  });
});
