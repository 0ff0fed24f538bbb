import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Where the tests look for a PostgreSQL server; the template database they clone per file
 * (both set by global-setup.ts, which cannot import this file). */
export const SERVER_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEMPLATE_ENV = 'GATEHOUSE_TEST_TEMPLATE_DB';
export const EMBEDDED_ENV = 'GATEHOUSE_TEST_EMBEDDED';

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** True when the suite runs on the embedded database (no server): one connection only. */
export function usingEmbeddedDatabase(): boolean {
  return process.env[EMBEDDED_ENV] === '1';
}

/** `it` for tests that need several concurrent connections: skipped on the embedded database. */
export const itWithConcurrentConnections = usingEmbeddedDatabase() ? it.skip : it;

/** A private clone of the migrated template database (one per test file or server). */
export async function cloneTestDatabase(): Promise<{
  name: string;
  url: string;
  drop(): Promise<void>;
}> {
  const template = process.env[TEMPLATE_ENV];
  if (!template) throw new Error('The jest globalSetup did not prepare a template database');
  const name = `gatehouse_test_${template.slice('gatehouse_tpl_'.length)}_${randomBytes(4).toString('hex')}`;
  await withAdminClient(async (client) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
        return;
      } catch (error) {
        // Two clones of one template at the same instant can collide; try again shortly.
        if (attempt >= 10) throw error;
        await new Promise((wait) => setTimeout(wait, 50 + Math.random() * 200));
      }
    }
  });
  return {
    name,
    url: databaseUrl(SERVER_URL, name),
    drop: () =>
      withAdminClient(async (client) => {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      }),
  };
}
