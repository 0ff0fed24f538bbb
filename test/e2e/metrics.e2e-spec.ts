import { createWorkspace, PASSWORD, signIn } from '../support/fixtures.js';
import { createProvider, idpKeys, postToAcs, responseFor } from '../support/saml-fixtures.js';
import { oktaUser, scimWorkspace } from '../support/scim-fixtures.js';
import { INTERNAL_TOKEN, startTestApp, type TestApp } from '../support/test-app.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdefghijklmnopqrstuv';
const PREVIOUS_INTERNAL_TOKEN = 'previous-internal-token-0123456789abcdefghij';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus' text format: `# HELP`, `# TYPE` and `name{label="value",...} number` lines. */
function parseMetrics(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!match) throw new Error(`not a metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = value!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    // Go's ParseFloat, which Prometheus uses, takes NaN and Inf in any case (prom-client writes Nan).
    const value = /^[+-]?(inf|nan)$/i.test(match[3]!)
      ? Number(match[3]!.replace(/inf/i, 'Infinity').replace(/nan/i, 'NaN'))
      : Number(match[3]);
    if (Number.isNaN(value) && !/^nan$/i.test(match[3]!)) throw new Error(`bad value: ${line}`);
    samples.push({ name: match[1]!, labels, value });
  }
  return { samples, types };
}

/** The value of the sample `name` whose labels include `labels` (0 when there is none yet). */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return found.reduce((sum, s) => sum + s.value, 0);
}

describe('GET /metrics', () => {
  let t: TestApp;

  beforeAll(async () => {
    // No delivery pass while the test counts the outbox.
    t = await startTestApp({
      MAIL_POLL_INTERVAL_MS: '3600000',
      INTERNAL_API_TOKEN_PREVIOUS: PREVIOUS_INTERNAL_TOKEN,
    });
  }, 120_000);

  afterAll(() => t?.close());

  async function scrape(token = INTERNAL_TOKEN) {
    const res = await t.http.get('/metrics').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    return parseMetrics(res.text).samples;
  }

  it('successful: the internal token (no METRICS_TOKEN set) gets the text format, not cached', async () => {
    const res = await t.http.get('/metrics').set('Authorization', t.internal).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4; charset=utf-8/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const { samples, types } = parseMetrics(res.text);
    expect(types.get('gatehouse_http_requests_total')).toBe('counter');
    expect(types.get('gatehouse_http_request_duration_seconds')).toBe('histogram');
    expect(types.get('gatehouse_sign_ins_total')).toBe('counter');
    expect(types.get('gatehouse_scim_operations_total')).toBe('counter');
    // Process metrics.
    expect(valueOf(samples, 'gatehouse_process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(valueOf(samples, 'gatehouse_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(types.get('gatehouse_nodejs_eventloop_lag_seconds')).toBe('gauge');
    // The pool of this app (DATABASE_POOL_SIZE 5 in the tests).
    const inUse = valueOf(samples, 'gatehouse_db_pool_connections_in_use');
    const idle = valueOf(samples, 'gatehouse_db_pool_connections_idle');
    expect(inUse).toBeGreaterThanOrEqual(0);
    expect(idle).toBeGreaterThanOrEqual(0);
    expect(inUse + idle).toBeLessThanOrEqual(5);
    expect(inUse + idle).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === 'gatehouse_db_pool_waiting_requests')).toBe(true);
    expect(valueOf(samples, 'gatehouse_db_pool_waiting_requests')).toBe(0);
  });

  it('failing: no token, a wrong one, one without Bearer, another token or a session cookie get 401 and no metrics', async () => {
    const ws = await createWorkspace(t);
    const cookie = await signIn(t, ws.slug, ws.adminEmail);
    const attempts = [
      t.http.get('/metrics'),
      t.http.get('/metrics').set('Authorization', `Bearer ${INTERNAL_TOKEN}x`),
      t.http.get('/metrics').set('Authorization', INTERNAL_TOKEN),
      t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`),
      t.http.get('/metrics').set('Cookie', cookie),
    ];
    for (const attempt of attempts) {
      const res = await attempt;
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ statusCode: 401, code: 'UNAUTHENTICATED' });
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="metrics"');
      expect(res.text).not.toContain('gatehouse_');
    }
  });

  it('successful: a previous internal token still accepted during its rotation', async () => {
    expect((await scrape(PREVIOUS_INTERNAL_TOKEN)).length).toBeGreaterThan(10);
  });

  it('counts requests by route template and status, never by URL', async () => {
    const ws = await createWorkspace(t);
    const route = { method: 'GET', route: '/api/workspaces/:ws/members' };
    const before = await scrape();
    await t.http
      .get(`/api/workspaces/${ws.slug}/members`)
      .set('Authorization', t.internal)
      .expect(200);
    await t.http
      .get(`/api/workspaces/${ws.slug}/members`)
      .set('Authorization', t.internal)
      .expect(200);
    await t.http.get(`/api/workspaces/${ws.slug}/members`).expect(401);
    await t.http.get('/no/such/path/1234').set('Authorization', t.internal).expect(404);
    const after = await scrape();

    const count = (samples: Sample[], status: string) =>
      valueOf(samples, 'gatehouse_http_requests_total', { ...route, status });
    expect(count(after, '200') - count(before, '200')).toBe(2);
    expect(count(after, '401') - count(before, '401')).toBe(1);
    const histogramCount = (samples: Sample[]) =>
      valueOf(samples, 'gatehouse_http_request_duration_seconds_count', {
        ...route,
        status: '200',
      });
    expect(histogramCount(after) - histogramCount(before)).toBe(2);
    expect(
      valueOf(after, 'gatehouse_http_requests_total', { route: '(unmatched)', status: '404' }) -
        valueOf(before, 'gatehouse_http_requests_total', { route: '(unmatched)', status: '404' }),
    ).toBe(1);
    // No label holds a slug, an id or a raw path.
    const labelValues = after.flatMap((s) => Object.values(s.labels));
    expect(labelValues.filter((v) => v.includes(ws.slug) || v.includes('/no/such'))).toEqual([]);
    expect(labelValues.filter((v) => /[0-9a-f]{8}-[0-9a-f]{4}-/.test(v))).toEqual([]);
  });

  it('counts sign-ins by method and result', async () => {
    const ws = await createWorkspace(t);
    const signIns = (samples: Sample[], result: string) =>
      valueOf(samples, 'gatehouse_sign_ins_total', { method: 'password', result });
    const before = await scrape();
    await signIn(t, ws.slug, ws.adminEmail);
    await t.http
      .post('/auth/password/login')
      .send({ workspace: ws.slug, email: ws.adminEmail, password: `${PASSWORD}!` })
      .expect(401);
    await t.http
      .post('/auth/password/login')
      .send({ workspace: ws.slug, email: ws.adminEmail, password: `${PASSWORD}?` })
      .expect(401);
    const after = await scrape();
    expect(signIns(after, 'success') - signIns(before, 'success')).toBe(1);
    expect(signIns(after, 'failure') - signIns(before, 'failure')).toBe(2);
  });

  it('counts SAML sign-ins by result, under the ACS route template', async () => {
    const ws = await createWorkspace(t);
    const [key, otherKey] = await idpKeys();
    const provider = await createProvider(t, ws.slug, { key: key! });
    const saml = (samples: Sample[], result: string) =>
      valueOf(samples, 'gatehouse_sign_ins_total', { method: 'saml', result });
    const acs = (samples: Sample[], status: string) =>
      valueOf(samples, 'gatehouse_http_requests_total', {
        route: '/auth/saml/:providerToken/acs',
        status,
      });
    const before = await scrape();
    const signedIn = await postToAcs(t, provider, await responseFor(provider, ws.adminEmail));
    expect(signedIn.status).toBe(302);
    const wrongKey = await postToAcs(
      t,
      provider,
      await responseFor(provider, ws.adminEmail, { key: otherKey! }),
    );
    expect(wrongKey.status).toBeGreaterThanOrEqual(400);
    expect(wrongKey.status).toBeLessThan(500);
    const after = await scrape();
    expect(saml(after, 'success') - saml(before, 'success')).toBe(1);
    expect(saml(after, 'failure') - saml(before, 'failure')).toBe(1);
    expect(acs(after, '302') - acs(before, '302')).toBe(1);
    expect(
      after.some((s) => Object.values(s.labels).some((v) => v.includes(provider.providerToken))),
    ).toBe(false);
  });

  it('counts SCIM operations by method, resource and result', async () => {
    const scim = await scimWorkspace(t);
    const ops = (samples: Sample[], method: string, resource: string, result: string) =>
      valueOf(samples, 'gatehouse_scim_operations_total', { method, resource, result });
    const before = await scrape();
    await t.http
      .post('/scim/v2/Users')
      .set('Authorization', scim.auth)
      .send(oktaUser(`ada@${scim.slug}.example.com`))
      .expect(201);
    await t.http
      .post('/scim/v2/Users')
      .set('Authorization', scim.auth)
      .send(oktaUser(`ada@${scim.slug}.example.com`))
      .expect(409);
    await t.http.get('/scim/v2/Groups').set('Authorization', scim.auth).expect(200);
    await t.http.get('/scim/v2/Groups').set('Authorization', 'Bearer wrong').expect(401);
    const after = await scrape();
    expect(ops(after, 'POST', 'Users', 'success') - ops(before, 'POST', 'Users', 'success')).toBe(
      1,
    );
    expect(ops(after, 'POST', 'Users', 'failure') - ops(before, 'POST', 'Users', 'failure')).toBe(
      1,
    );
    expect(ops(after, 'GET', 'Groups', 'success') - ops(before, 'GET', 'Groups', 'success')).toBe(
      1,
    );
    expect(ops(after, 'GET', 'Groups', 'failure') - ops(before, 'GET', 'Groups', 'failure')).toBe(
      1,
    );
  });

  it('reports the mail outbox backlog', async () => {
    const before = valueOf(await scrape(), 'gatehouse_mail_outbox_pending');
    await t.dataSource.query(
      `INSERT INTO mail_outbox (kind, recipient, subject, text_body)
       SELECT 'test', 'm' || i || '@example.com', 'Subject', 'Body' FROM generate_series(1, 3) AS i`,
    );
    expect(valueOf(await scrape(), 'gatehouse_mail_outbox_pending')).toBe(before + 3);
  });
});

describe('GET /metrics with METRICS_TOKEN set', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ METRICS_TOKEN, INTERNAL_API_TOKEN_PREVIOUS: PREVIOUS_INTERNAL_TOKEN });
  }, 120_000);

  afterAll(() => t?.close());

  it('successful: takes METRICS_TOKEN', async () => {
    const res = await t.http.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(res.status).toBe(200);
    expect(parseMetrics(res.text).samples.length).toBeGreaterThan(10);
  });

  it('failing: the internal token, current or previous, is no longer enough (401)', async () => {
    const res = await t.http.get('/metrics').set('Authorization', t.internal);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('UNAUTHENTICATED');
    const previous = await t.http
      .get('/metrics')
      .set('Authorization', `Bearer ${PREVIOUS_INTERNAL_TOKEN}`);
    expect(previous.status).toBe(401);
  });
});
