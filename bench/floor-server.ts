/**
 * REFERENCE ONLY — the same-run floor of `npm run bench`: a minimal `node:http` + `pg` server that
 * does by hand the SQL a request needs, with the indexes that exist, and answers roughly the same
 * shapes as Gatehouse. No validation, no authentication, no audit: it is what the database and
 * Node cost on this machine, never something to deploy.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { DOMParser } from '@xmldom/xmldom';
import pg from 'pg';
import { SignedXml } from 'xml-crypto';
import { listenForProfiling } from './profiler.js';

const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const db = new pg.Pool({
  connectionString: process.env.BENCH_FLOOR_DATABASE_URL,
  max: Number(process.env.BENCH_POOL_SIZE ?? 10),
});
const secretKey = process.env.BENCH_SECRET_KEY ?? '';
const cookieName = process.env.BENCH_COOKIE_NAME ?? 'gatehouse_session';
const samlCertificate = process.env.BENCH_SAML_CERTIFICATE ?? '';
/**
 * The userName lookup uses whichever index the schema has: the stored normalised key
 * (memberships.user_name_key, migration 1764540000000) or, before it, the expression index on
 * (workspace_id, lower(scim_user_name)).
 */
let userNameWhere = 'lower(m.scim_user_name) = lower($2)';
/** The member total: kept by triggers in workspace_counts (migration 1764580000000) when it exists. */
let memberTotalSql = `SELECT count(*)::int AS total FROM memberships WHERE workspace_id = $1`;
/** The admin member list's order: memberships.email (migration 1764560000000), else users.email. */
let memberOrder = 'u.email';

interface UserRow {
  user_id: string;
  email: string;
  full_name: string | null;
  scim_user_name: string | null;
  scim_external_id: string | null;
  status: string;
  created_at: Date;
  updated_at: Date;
}

const USER_COLUMNS = `m.user_id, u.email, u.full_name, m.scim_user_name, m.scim_external_id,
  m.status, m.created_at, m.updated_at`;

function scimUser(row: UserRow) {
  return {
    schemas: [USER_SCHEMA],
    id: row.user_id,
    externalId: row.scim_external_id ?? undefined,
    userName: row.scim_user_name ?? row.email,
    name: { formatted: row.full_name },
    emails: [{ value: row.email, primary: true, type: 'work' }],
    active: row.status === 'active',
    meta: {
      resourceType: 'User',
      created: row.created_at.toISOString(),
      lastModified: row.updated_at.toISOString(),
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json') {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
}

async function createUser(workspaceId: string, req: IncomingMessage, res: ServerResponse) {
  const body = await readJson(req);
  const userName = String(body.userName);
  const name = body.name as { givenName?: string; familyName?: string } | undefined;
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO users (email, full_name, scim_workspace_id) VALUES ($1, $2, $3) RETURNING id`,
      [userName.toLowerCase(), `${name?.givenName ?? ''} ${name?.familyName ?? ''}`, workspaceId],
    );
    const created = await client.query<UserRow>(
      `INSERT INTO memberships (workspace_id, user_id, role, status, source, scim_managed,
                                scim_user_name, scim_external_id)
       VALUES ($1, $2, 'member', 'active', 'scim', true, $3, $4)
       RETURNING user_id, $5::text AS email, $6::text AS full_name, scim_user_name,
                 scim_external_id, status, created_at, updated_at`,
      [
        workspaceId,
        rows[0]!.id,
        userName,
        (body.externalId as string | undefined) ?? null,
        userName.toLowerCase(),
        `${name?.givenName ?? ''} ${name?.familyName ?? ''}`,
      ],
    );
    await client.query('COMMIT');
    send(res, 201, scimUser(created.rows[0]!), 'application/scim+json');
  } catch (error) {
    await client.query('ROLLBACK');
    if ((error as { code?: string }).code === '23505') {
      send(res, 409, { status: '409', scimType: 'uniqueness' }, 'application/scim+json');
    } else throw error;
  } finally {
    client.release();
  }
}

/** A page's last (created_at, user_id), microseconds kept, as an RFC 9865-style cursor. */
const cursorOf = (row: PagedRow) => Buffer.from(JSON.stringify(row.seek)).toString('base64url');
const keyOf = (cursor: string) =>
  JSON.parse(Buffer.from(cursor, 'base64url').toString()) as string[];

interface PagedRow extends UserRow {
  seek: [string, string];
}

/**
 * A page in the order Gatehouse lists (created_at, user_id). With a cursor, a seek from the
 * previous page's last key on memberships_created_idx (the walk); with startIndex, the page's keys
 * found on that index alone past the offset, then only those rows joined (random pages).
 */
async function userPage(workspaceId: string, count: number, startIndex: number, cursor?: string) {
  const columns = `${USER_COLUMNS}, json_build_array(to_json(m.created_at) #>> '{}', m.user_id) AS seek`;
  if (cursor) {
    const [createdAt, userId] = keyOf(cursor);
    return db.query<PagedRow>(
      `SELECT ${columns} FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.workspace_id = $1 AND (m.created_at, m.user_id) > ($2, $3)
        ORDER BY m.created_at, m.user_id LIMIT $4`,
      [workspaceId, createdAt, userId, count],
    );
  }
  return db.query<PagedRow>(
    `WITH k AS (SELECT user_id FROM memberships WHERE workspace_id = $1
                 ORDER BY created_at, user_id LIMIT $2 OFFSET $3)
     SELECT ${columns} FROM k JOIN memberships m ON m.workspace_id = $1 AND m.user_id = k.user_id
       JOIN users u ON u.id = m.user_id
      ORDER BY m.created_at, m.user_id`,
    [workspaceId, count, startIndex - 1],
  );
}

async function listUsers(workspaceId: string, query: URLSearchParams, res: ServerResponse) {
  const filter = /^userName eq "(.*)"$/.exec(query.get('filter') ?? '');
  let total: number;
  let rows: UserRow[];
  let nextCursor: string | undefined;
  const startIndex = Math.max(1, Number(query.get('startIndex') ?? 1));
  const count = Math.min(100, Number(query.get('count') ?? 100));
  if (filter) {
    ({ rows } = await db.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.workspace_id = $1 AND ${userNameWhere}`,
      [workspaceId, filter[1]],
    ));
    total = rows.length;
  } else {
    const [counted, page] = await Promise.all([
      db.query<{ total: number }>(memberTotalSql, [workspaceId]),
      userPage(workspaceId, count, startIndex, query.get('cursor') ?? undefined),
    ]);
    total = counted.rows[0]!.total;
    rows = page.rows;
    if (page.rows.length === count) nextCursor = cursorOf(page.rows.at(-1)!);
  }
  send(
    res,
    200,
    {
      schemas: [LIST_SCHEMA],
      totalResults: total,
      startIndex,
      itemsPerPage: rows.length,
      Resources: rows.map(scimUser),
      ...(nextCursor ? { nextCursor } : {}),
    },
    'application/scim+json',
  );
}

async function session(req: IncomingMessage, res: ServerResponse) {
  const cookie = (req.headers.cookie ?? '')
    .split(';')
    .map((part) => part.trim().split('='))
    .find(([name]) => name === cookieName)?.[1];
  const digest = createHmac('sha256', secretKey)
    .update(cookie ?? '')
    .digest('base64url');
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT s.id, s.user_id, u.email, u.full_name, s.workspace_id, w.slug, w.name, m.role,
            m.status, s.method, s.created_at
       FROM sessions s
       JOIN memberships m ON m.workspace_id = s.workspace_id AND m.user_id = s.user_id
       JOIN users u ON u.id = s.user_id
       JOIN workspaces w ON w.id = s.workspace_id
      WHERE s.token_hash = $1 AND s.revoked_at IS NULL`,
    [digest],
  );
  const row = rows[0];
  if (!row || row.status !== 'active') return send(res, 401, { code: 'UNAUTHENTICATED' });
  send(res, 200, {
    user: { id: row.user_id, email: row.email, fullName: row.full_name },
    workspace: { id: row.workspace_id, slug: row.slug, name: row.name },
    role: row.role,
    method: row.method,
  });
}

async function members(workspaceId: string, query: URLSearchParams, res: ServerResponse) {
  const limit = Math.min(200, Number(query.get('limit') ?? 50));
  const offset = Number(query.get('offset') ?? 0);
  const [counted, page] = await Promise.all([
    db.query<{ total: number }>(
      `SELECT count(*)::int AS total FROM memberships WHERE workspace_id = $1`,
      [workspaceId],
    ),
    db.query<Record<string, unknown>>(
      `SELECT m.user_id, u.email, u.full_name, m.role, m.status, m.source, m.created_at
         FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.workspace_id = $1 ORDER BY ${memberOrder}, m.user_id LIMIT $2 OFFSET $3`,
      [workspaceId, limit, offset],
    ),
  ]);
  send(res, 200, {
    items: page.rows.map((r) => ({
      userId: r.user_id,
      email: r.email,
      fullName: r.full_name,
      role: r.role,
      status: r.status,
      source: r.source,
      createdAt: r.created_at,
    })),
    total: counted.rows[0]!.total,
    limit,
    offset,
  });
}

/** The raw signature check alone (xml-crypto, as node-saml calls it): no other SAML rule. */
async function acs(req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
  const xml = Buffer.from(form.get('SAMLResponse') ?? '', 'base64').toString('utf8');
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const signature = doc.getElementsByTagNameNS(
    'http://www.w3.org/2000/09/xmldsig#',
    'Signature',
  )[0];
  const check = new SignedXml({ publicCert: samlCertificate });
  check.loadSignature(signature as unknown as Node);
  if (!check.checkSignature(xml)) return send(res, 403, { code: 'BAD_SIGNATURE' });
  res.writeHead(302, { location: '/' });
  res.end();
}

async function route(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? '/', 'http://floor');
  if (url.pathname === '/hello') return send(res, 200, { hello: 'world' });
  if (url.pathname === '/auth/session') return session(req, res);
  if (url.pathname === '/acs') return acs(req, res);
  const match = /^\/w\/([0-9a-f-]{36})\/(Users|members)$/.exec(url.pathname);
  if (match?.[2] === 'Users' && req.method === 'POST') return createUser(match[1]!, req, res);
  if (match?.[2] === 'Users') return listUsers(match[1]!, url.searchParams, res);
  if (match?.[2] === 'members') return members(match[1]!, url.searchParams, res);
  send(res, 404, { code: 'NOT_FOUND' });
}

const server = createServer((req, res) => {
  route(req, res).catch((error: unknown) => {
    if (!res.headersSent) send(res, 500, { message: String(error) });
  });
});
async function detectSchema() {
  const { rows } = await db.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
      WHERE table_name = 'memberships' AND column_name IN ('user_name_key', 'email')`,
  );
  const has = (column: string) => rows.some((row) => row.column_name === column);
  if (has('user_name_key')) userNameWhere = 'm.user_name_key = lower($2)';
  if (has('email')) memberOrder = 'm.email';
  const counts = await db.query<{ kept: boolean }>(
    `SELECT to_regclass('workspace_counts') IS NOT NULL AS kept`,
  );
  if (counts.rows[0]?.kept) {
    memberTotalSql = `SELECT coalesce(sum(row_count), 0)::int AS total FROM workspace_counts
                       WHERE workspace_id = $1 AND counted = 'memberships'`;
  }
}

await detectSchema();
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  listenForProfiling();
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${address.port}` });
});
process.on('disconnect', () => {
  server.close();
  void db.end().then(() => process.exit(0));
});
