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

const INTERNAL = 'embedded-internal-token-0123456789abcdefghijklmnop';
const PASSWORD = 'correct horse battery staple';

/**
 * The hot paths' named prepared statements on PGlite, whose one backend session outlives the
 * socket connections to it: each is prepared once and runs again by name.
 */
describe('prepared statements on the embedded database', () => {
  let embedded: EmbeddedPostgres;
  let app: NestExpressApplication;

  beforeAll(async () => {
    embedded = await startEmbeddedPostgres();
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      INTERNAL_API_TOKEN: INTERNAL,
      PUBLIC_URL: 'http://gatehouse.test',
    });
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot({ config, databaseUrl: embedded.url })],
    }).compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({ logger: false });
    configureApp(app, config);
    await app.init();
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await embedded?.stop();
  });

  it('checks sessions and SCIM tokens again and again', async () => {
    const http = () => request(app.getHttpServer());
    await http()
      .post('/api/workspaces')
      .set('Authorization', `Bearer ${INTERNAL}`)
      .send({
        name: 'Embedded',
        slug: 'embedded',
        firstAdmin: { email: 'ada@embedded.test', password: PASSWORD },
      })
      .expect(201);
    const signedIn = await http()
      .post('/auth/password/login')
      .send({ workspace: 'embedded', email: 'ada@embedded.test', password: PASSWORD })
      .expect(200);
    const cookie = (signedIn.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    for (let i = 0; i < 3; i++) {
      const session = await http().get('/auth/session').set('Cookie', cookie).expect(200);
      expect(session.body).toMatchObject({ user: { email: 'ada@embedded.test' }, role: 'admin' });
      await http().get('/scim/v2/Users').set('Authorization', 'Bearer unknown').expect(401);
    }
    await http().post('/auth/logout').set('Cookie', cookie).expect(204);
    await http().get('/auth/session').set('Cookie', cookie).expect(401);
  }, 60_000);
});
