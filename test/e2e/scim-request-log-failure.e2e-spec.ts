import type { LoggerService } from '@nestjs/common';
import { ScimRequestLog } from '../../src/scim/log/scim-request-log.service.js';
import { waitFor } from '../support/polling.js';
import { scimWorkspace, type ScimWorkspace } from '../support/scim-fixtures.js';
import { startTestApp, TestApp } from '../support/test-app.js';

/** Keeps what the app logs at error level. */
class CapturingLogger implements LoggerService {
  readonly errors: string[] = [];
  log(): void {}
  warn(): void {}
  debug(): void {}
  verbose(): void {}
  error(message: unknown): void {
    this.errors.push(String(message));
  }
}

describe('SCIM request log writes that fail', () => {
  let t: TestApp;
  let ws: ScimWorkspace;
  let log: ScimRequestLog;
  const logger = new CapturingLogger();

  beforeAll(async () => {
    t = await startTestApp();
    t.app.useLogger(logger);
    ws = await scimWorkspace(t);
    log = t.app.get(ScimRequestLog);
  });
  afterAll(() => t.close());

  const rows = async () => {
    const [row] = await t.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM scim_requests WHERE workspace_id = $1`,
      [ws.id],
    );
    return row!.n;
  };

  it('are counted and logged with their cause, and the SCIM request still succeeds', async () => {
    await t.http.get('/scim/v2/Users').set('Authorization', ws.auth).expect(200);
    await waitFor('the request log row', async () => (await rows()) === 1, 5000);
    expect(log.lostWrites()).toBe(0);

    // PostgreSQL itself now refuses every new row of the log.
    await t.dataSource.query(
      `ALTER TABLE scim_requests ADD CONSTRAINT refuse_new_rows CHECK (false) NOT VALID`,
    );
    try {
      await t.http.get('/scim/v2/Groups?count=1').set('Authorization', ws.auth).expect(200);
      await waitFor('the lost write', () => log.lostWrites() === 1, 5000);
    } finally {
      await t.dataSource.query(`ALTER TABLE scim_requests DROP CONSTRAINT refuse_new_rows`);
    }
    expect(log.lostWrites(ws.id)).toBe(1);
    expect(log.lostWrites('00000000-0000-4000-8000-000000000000')).toBe(0);
    expect(await rows()).toBe(1);
    const lines = logger.errors.filter((line) => line.includes('SCIM request log write failed'));
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `GET /scim/v2/Groups\\?count=1 -> 200 of workspace ${ws.id} not recorded \\(1 lost since start\\): .*violates check constraint "refuse_new_rows"`,
        ),
      ),
    ]);

    // Once PostgreSQL takes rows again, the log goes on and the count stays.
    await t.http.get('/scim/v2/Users').set('Authorization', ws.auth).expect(200);
    await waitFor('the request log row', async () => (await rows()) === 2, 5000);
    expect(log.lostWrites()).toBe(1);
  });
});
