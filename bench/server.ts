/** The server half of `npm run bench`: its own process, so the load client does not share it. */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DataSource } from 'typeorm';
import { AppModule } from '../src/app.module.js';
import { configureApp } from '../src/bootstrap.js';
import { loadConfig } from '../src/config/configuration.js';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres.js';

export const BENCH_TOKEN = 'bench-internal-token-0123456789abcdefghijklmnop';

/** From run.ts: SCIM-provisioned members to create straight in SQL (10,000 requests would
 * measure the seeding, not the scenarios). */
interface SeedRequest {
  type: 'seed-scim-users';
  workspaceId: string;
  domain: string;
  count: number;
}

async function seedScimUsers(dataSource: DataSource, seed: SeedRequest): Promise<string[]> {
  const rows = await dataSource.query<{ user_id: string }[]>(
    `WITH people AS (
       INSERT INTO users (email, full_name, scim_workspace_id)
       SELECT 'scim' || i || '@' || $2, 'SCIM Person ' || i, $1::uuid
         FROM generate_series(1, $3::int) AS i
       RETURNING id, email)
     INSERT INTO memberships
       (workspace_id, user_id, role, status, source, scim_managed, scim_user_name, scim_external_id)
     SELECT $1::uuid, id, 'member', 'active', 'scim', true, email, 'ext-' || email FROM people
     RETURNING user_id`,
    [seed.workspaceId, seed.domain, seed.count],
  );
  return rows.map((r) => r.user_id);
}

async function main() {
  const serverUrl = process.env.BENCH_DATABASE_URL;
  const embedded = serverUrl ? undefined : await startEmbeddedPostgres();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    INTERNAL_API_TOKEN: BENCH_TOKEN,
    LOGIN_MAX_FAILURES_PER_IP: '1000000',
    ...(serverUrl ? { DATABASE_URL: serverUrl, DATABASE_POOL_SIZE: '10' } : {}),
  });
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({ config, databaseUrl: serverUrl ?? embedded!.url }),
    { logger: false },
  );
  configureApp(app, config);
  await app.listen(0, '127.0.0.1');
  const dataSource = app.get(DataSource);
  process.on('message', (message: SeedRequest) => {
    if (message?.type !== 'seed-scim-users') return;
    seedScimUsers(dataSource, message).then(
      (ids) => process.send?.({ type: 'seeded', ids }),
      (error: unknown) => process.send?.({ type: 'seeded', error: String(error) }),
    );
  });
  process.send?.({ url: await app.getUrl() });
  process.on('disconnect', () => {
    void app
      .close()
      .then(() => embedded?.stop())
      .then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
