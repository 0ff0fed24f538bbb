import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';

// Jest loads global setup outside its module mapper, so this file imports no project source:
// it migrates the template with the CLI that `npm test` built first (the same one operators use).
const SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const STALE_AFTER_MS = 3 * 3600 * 1000;

async function connect(url: string): Promise<pg.Client | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return client;
  } catch {
    await client.end().catch(() => undefined);
    return null;
  }
}

/**
 * Migrates one template database per run; each test file clones it (CREATE DATABASE ... TEMPLATE),
 * so files run in parallel and never see each other's rows. Without a server, every file boots
 * its own embedded PGlite instead.
 */
export default async function globalSetup(): Promise<void> {
  const admin = await connect(SERVER_URL);
  if (!admin) {
    process.env.GATEHOUSE_TEST_EMBEDDED = '1';
    process.stdout.write(
      `\nNo PostgreSQL server at ${SERVER_URL}: running on the embedded database (PGlite).\n` +
        'Tests that need concurrent connections are skipped.\n',
    );
    return;
  }
  const template = `gatehouse_tpl_${process.pid}_${Date.now()}`;
  try {
    // Leftovers of runs killed before their teardown; runs going on right now are left alone.
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname ~ '^gatehouse_t(pl|est|mig)_'`,
    );
    for (const { datname } of rows) {
      const startedAt = Number(/^gatehouse_t(?:pl|est|mig)_\d+_(\d+)/.exec(datname)?.[1] ?? 0);
      if (Date.now() - startedAt < STALE_AFTER_MS) continue;
      await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => undefined);
    }
    await admin.query(`CREATE DATABASE "${template}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(SERVER_URL);
  url.pathname = `/${template}`;
  await promisify(execFile)(process.execPath, ['dist/src/cli.js', 'migration:run'], {
    env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: url.toString() },
  });
  process.env.GATEHOUSE_TEST_TEMPLATE_DB = template;
}
