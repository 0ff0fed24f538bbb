/** The bench's PostgreSQL: BENCH_DATABASE_URL as given, or a fresh migrated database per run. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';

const SERVER_URL = process.env.BENCH_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchDatabase {
  url: string;
  /** Drops the database when this run created it. */
  drop(): Promise<void>;
}

/** Creates `gatehouse_bench_<pid>_<n>` and migrates it with the CLI operators use. */
export async function benchDatabase(suffix: string): Promise<BenchDatabase> {
  if (process.env.BENCH_DATABASE_URL) {
    return { url: process.env.BENCH_DATABASE_URL, drop: () => Promise.resolve() };
  }
  const name = `gatehouse_bench_${process.pid}_${suffix}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const drop = async () => {
    const client = new pg.Client({ connectionString: SERVER_URL });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await client.end();
    }
  };
  try {
    await promisify(execFile)(process.execPath, ['dist/src/cli.js', 'migration:run'], {
      env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: url.toString() },
    });
  } catch (error) {
    await drop();
    throw error;
  }
  return { url: url.toString(), drop };
}
