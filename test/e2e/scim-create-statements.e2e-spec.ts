import pg from 'pg';
import { oktaUser, type ScimWorkspace, scimWorkspace } from '../support/scim-fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

interface Sent {
  client: pg.Client;
  sql: string;
}

/**
 * What a SCIM create of a new person (an initial sync's usual request) sends to PostgreSQL:
 * every statement is a round trip and a socket write, the largest cost the profile shows
 * (docs/performance.md). Counted on the pg clients themselves, per connection.
 */
describe('SCIM POST /Users of a new person', () => {
  let t: TestApp;
  let ws: ScimWorkspace;
  const sent: Sent[] = [];
  const query = pg.Client.prototype.query;

  beforeAll(async () => {
    t = await startTestApp();
    ws = await scimWorkspace(t);
    // Recorded, then sent as usual.
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const first = args[0] as string | { text?: string };
      sent.push({ client: this, sql: typeof first === 'string' ? first : (first.text ?? '') });
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
  });
  afterAll(async () => {
    pg.Client.prototype.query = query;
    await t.close();
  });

  /** The statements of the connection that inserted the membership, from its transaction on. */
  async function statementsOfCreate(userName: string): Promise<string[]> {
    sent.length = 0;
    await t.http
      .post('/scim/v2/Users')
      .set('Authorization', ws.auth)
      .send(oktaUser(userName))
      .expect(201);
    const insert = sent.find((s) => /^\s*INSERT INTO memberships/.test(s.sql));
    if (!insert) throw new Error('no membership was inserted');
    const ofClient = sent.filter((s) => s.client === insert.client).map((s) => s.sql.trim());
    const start = ofClient.lastIndexOf('START TRANSACTION', ofClient.indexOf(insert.sql.trim()));
    return ofClient.slice(start);
  }

  it('runs three statements in its transaction, and reads the User back in one', async () => {
    await statementsOfCreate('warm-up@statements.test');
    const statements = await statementsOfCreate('ada@statements.test');
    const transaction = statements.slice(0, statements.indexOf('COMMIT') + 1);
    expect(transaction.map((sql) => sql.split(/\s+/).slice(0, 3).join(' '))).toEqual([
      'START TRANSACTION',
      'INSERT INTO users',
      'INSERT INTO memberships',
      'WITH audited AS', // INSERT INTO audit_events, and its webhook deliveries
      'COMMIT',
    ]);
    // The answer (with its groups) is one read, on whichever connection the pool gives.
    const reads = sent.filter((s) => /^\s*SELECT m\.user_id/.test(s.sql));
    expect(reads).toHaveLength(1);
  });
});
