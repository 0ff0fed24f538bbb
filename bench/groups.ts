/** One-shot timings of SCIM groups of 10,000 members, as Okta and Entra push them. */
import { call } from './load.js';

const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const FULL = 10_000;

/** `pool` holds at least 20,000 member ids of the workspace. */
export async function groupScenarios(
  base: string,
  headers: Record<string, string>,
  pool: string[],
) {
  const members = (ids: string[]) => ids.map((value) => ({ value }));
  const timings: { name: string; ms: number; note?: string }[] = [];
  let groups = 0;
  async function timed(name: string, path: string, init: RequestInit, expected: number) {
    const started = performance.now();
    const body = await call(`${base}${path}`, { ...init, headers }, expected);
    if (name) timings.push({ name, ms: performance.now() - started });
    return body;
  }
  const createGroup = async (ids: string[], name = '') =>
    `/scim/v2/Groups/${
      (
        await timed(
          name,
          '/scim/v2/Groups',
          {
            method: 'POST',
            body: JSON.stringify({
              schemas: [GROUP_SCHEMA],
              displayName: `Bench group ${++groups}`,
              members: members(ids),
            }),
          },
          201,
        )
      ).id as string
    }`;
  const add = (name: string, group: string, ids: string[]) =>
    timed(
      name,
      group,
      {
        method: 'PATCH',
        body: JSON.stringify({
          schemas: [PATCH_SCHEMA],
          Operations: [{ op: 'add', path: 'members', value: members(ids) }],
        }),
      },
      204,
    );

  const full = await createGroup(pool.slice(0, FULL), 'POST /Groups with 10,000 members');
  const read = await timed('GET a 10,000-member group', full, { method: 'GET' }, 200);
  const readCount = (read.members as unknown[]).length;
  if (readCount !== FULL) timings.at(-1)!.note = `answered ${readCount} members`;
  await timed(
    'PUT a 10,000-member group (half of them replaced)',
    full,
    {
      method: 'PUT',
      body: JSON.stringify({
        schemas: [GROUP_SCHEMA],
        displayName: 'Bench group 1',
        members: members(pool.slice(FULL / 2, FULL + FULL / 2)),
      }),
    },
    200,
  );
  await add('PATCH +1,000 members to an empty group', await createGroup([]), pool.slice(0, 1000));
  await add('PATCH +10,000 members to an empty group', await createGroup([]), pool.slice(0, FULL));
  await add(
    'PATCH +1,000 members to a full (10,000) group',
    await createGroup(pool.slice(0, FULL)),
    pool.slice(FULL, FULL + 1000),
  );
  await add(
    'PATCH +10,000 members to a full (10,000) group',
    await createGroup(pool.slice(0, FULL)),
    pool.slice(FULL, 2 * FULL),
  );
  return timings;
}
