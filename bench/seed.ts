/**
 * The documented bulk seeding path: members are written straight in SQL, one statement per
 * batch (INSERT ... SELECT generate_series), with the columns a SCIM create would set. Creating
 * 100,000 people through the API would measure the seeding, not the scenarios.
 */
import pg from 'pg';
import { createHmac, randomBytes } from 'node:crypto';

/** Adds `count` SCIM members `<prefix><i>@<domain>` (i from `from`); returns their user ids. */
export async function seedScimMembers(
  db: pg.Pool,
  workspaceId: string,
  domain: string,
  prefix: string,
  from: number,
  count: number,
): Promise<string[]> {
  const ids: string[] = [];
  const batch = 50_000;
  for (let start = from; start < from + count; start += batch) {
    const size = Math.min(batch, from + count - start);
    const { rows } = await db.query<{ user_id: string }>(
      `WITH people AS (
         INSERT INTO users (email, full_name, scim_workspace_id)
         SELECT $3 || i || '@' || $2, 'SCIM Person ' || i, $1::uuid
           FROM generate_series($4::int, $4::int + $5::int - 1) AS i
         RETURNING id, email)
       INSERT INTO memberships
         (workspace_id, user_id, role, status, source, scim_managed, scim_user_name, scim_external_id)
       SELECT $1::uuid, id, 'member', 'active', 'scim', true, email, 'ext-' || email FROM people
       RETURNING user_id`,
      [workspaceId, domain, prefix, start, size],
    );
    for (const row of rows) ids.push(row.user_id);
  }
  await db.query('ANALYZE users; ANALYZE memberships');
  return ids;
}

/**
 * An admin member of the workspace with a live SAML session, written in SQL like the members
 * (SAML sign-in itself is not part of this path); returns the session cookie value.
 */
export async function seedAdminSession(
  db: pg.Pool,
  workspaceId: string,
  email: string,
  secretKey: string,
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const digest = createHmac('sha256', secretKey).update(token).digest('base64url');
  await db.query(
    `WITH person AS (
       INSERT INTO users (email, full_name) VALUES ($2, 'Bench Admin') RETURNING id),
     member AS (
       INSERT INTO memberships (workspace_id, user_id, role, status, source)
       SELECT $1::uuid, id, 'admin', 'active', 'manual' FROM person RETURNING user_id)
     INSERT INTO sessions (token_hash, workspace_id, user_id, method)
     SELECT $3, $1::uuid, user_id, 'saml' FROM member`,
    [workspaceId, email, digest],
  );
  return token;
}
