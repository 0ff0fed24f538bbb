/** The Gatehouse half of `npm run bench`: its own process, so the load client does not share it. */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from '../src/app.module.js';
import { configureApp } from '../src/bootstrap.js';
import { loadConfig } from '../src/config/configuration.js';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { BENCH_SECRET_KEY, BENCH_TOKEN } from './constants.js';
import { listenForProfiling } from './profiler.js';

async function main() {
  const serverUrl = process.env.BENCH_GATEHOUSE_DATABASE_URL ?? process.env.BENCH_DATABASE_URL;
  const embedded = serverUrl ? undefined : await startEmbeddedPostgres();
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    INTERNAL_API_TOKEN: BENCH_TOKEN,
    SECRET_KEY: BENCH_SECRET_KEY,
    LOGIN_MAX_FAILURES_PER_IP: '1000000',
    ...(serverUrl
      ? { DATABASE_URL: serverUrl, DATABASE_POOL_SIZE: process.env.BENCH_POOL_SIZE ?? '10' }
      : {}),
  });
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({ config, databaseUrl: serverUrl ?? embedded!.url }),
    { logger: false },
  );
  configureApp(app, config);
  await app.listen(0, '127.0.0.1');
  listenForProfiling();
  process.send?.({
    type: 'ready',
    url: await app.getUrl(),
    cookieName: config.session.cookieName,
  });
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
