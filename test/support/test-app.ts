import 'reflect-metadata';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test, TestingModuleBuilder } from '@nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module.js';
import { configureApp } from '../../src/bootstrap.js';
import { AppConfig, loadConfig } from '../../src/config/configuration.js';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { DNS_RESOLVER, DnsResolver } from '../../src/workspace/dns-resolver.js';
import { cloneTestDatabase, usingEmbeddedDatabase } from './test-database.js';

export const INTERNAL_TOKEN = 'test-internal-token-0123456789abcdefghijklmnop';

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  dataSource: DataSource;
  /** supertest without a cookie jar: each request says which credentials it sends. */
  http: ReturnType<typeof request>;
  dns: FakeDnsResolver;
  /** Authorization header value of the internal token. */
  internal: string;
  close(): Promise<void>;
}

/** DNS answers the tests set: name → TXT records. */
export class FakeDnsResolver implements DnsResolver {
  readonly records = new Map<string, string[][]>();
  resolveTxt(name: string): Promise<string[][]> {
    const records = this.records.get(name.toLowerCase());
    if (!records) {
      return Promise.reject(
        Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' }),
      );
    }
    return Promise.resolve(records);
  }
}

async function provisionDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (usingEmbeddedDatabase()) {
    const embedded = await startEmbeddedPostgres();
    return { url: embedded.url, drop: () => embedded.stop() };
  }
  return cloneTestDatabase();
}

export interface TestAppOptions {
  /** Replaces providers before the app compiles, e.g. `(b) => b.overrideProvider(X).useValue(y)`. */
  overrides?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
  /** Another instance on that app's database (which that app drops when it closes). */
  sameDatabaseAs?: TestApp;
}

export async function startTestApp(
  env: Record<string, string> = {},
  options: TestAppOptions = {},
): Promise<TestApp> {
  const shared = options.sameDatabaseAs?.config.database.url;
  const database = shared
    ? { url: shared, drop: () => Promise.resolve() }
    : await provisionDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    INTERNAL_API_TOKEN: INTERNAL_TOKEN,
    SECRET_KEY: 'test-secret-key-0123456789abcdefghijklmnopqrstuv',
    LOG_LEVEL: 'silent',
    PUBLIC_URL: 'http://gatehouse.test',
    // The clone is already migrated; the embedded database starts empty.
    MIGRATE_ON_START: usingEmbeddedDatabase() ? 'true' : 'false',
    ...(usingEmbeddedDatabase() ? {} : { DATABASE_URL: database.url, DATABASE_POOL_SIZE: '5' }),
    ...env,
  });
  const dns = new FakeDnsResolver();
  const builder = Test.createTestingModule({
    imports: [AppModule.forRoot({ config, databaseUrl: database.url })],
  })
    .overrideProvider(DNS_RESOLVER)
    .useValue(dns);
  const moduleRef = await (options.overrides?.(builder) ?? builder).compile();
  // TEST_LOGS=1 shows the app's logs (errors behind a 500, for one).
  const app = moduleRef.createNestApplication<NestExpressApplication>({
    logger: process.env.TEST_LOGS ? ['error', 'warn'] : false,
  });
  configureApp(app, config);
  await app.init();
  const dataSource = app.get(DataSource);
  return {
    app,
    config,
    dataSource,
    dns,
    http: request(app.getHttpServer()),
    internal: `Bearer ${INTERNAL_TOKEN}`,
    async close() {
      await app.close();
      await database.drop();
    },
  };
}
