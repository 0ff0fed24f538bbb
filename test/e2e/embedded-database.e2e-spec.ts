import 'reflect-metadata';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AppModule } from '../../src/app.module.js';
import { configureApp } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/configuration.js';
import {
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from '../../src/database/embedded-postgres.js';

/** What `npm start` runs without DATABASE_URL: PGlite behind its socket, one connection. */
describe('the embedded database', () => {
  let embedded: EmbeddedPostgres;
  let app: NestExpressApplication;

  beforeAll(async () => {
    embedded = await startEmbeddedPostgres();
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot({ config, databaseUrl: embedded.url })],
    }).compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({ logger: false });
    configureApp(app, config);
    await app.init();
  }, 120_000); // PGlite's start and every migration: over 30 s on a loaded 2-core machine

  afterAll(async () => {
    await app?.close();
    await embedded?.stop();
  });

  it('keeps answering after its connection has been idle (prepared statements survive)', async () => {
    const attempt = () =>
      request(app.getHttpServer())
        .post('/auth/password/login')
        .send({ workspace: 'nowhere', email: 'a@b.example', password: 'wrong password' });
    expect((await attempt()).status).toBe(401);
    // pg's pool closes clients idle for 10 s by default; the next query then used a new connection.
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    expect((await attempt()).status).toBe(401);
    await request(app.getHttpServer()).get('/health/ready').expect(200);
  }, 60_000);
});
