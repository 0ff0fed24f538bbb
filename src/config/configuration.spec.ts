import { ConfigError, loadConfig } from './configuration.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

const strongToken = 'a7Fq9-Lm2xR8vT4kW1pZ6cN3bH5jD0sYqE';
const strongKey = 'Xk3P9qLz7Wm2Vb8Nc5Rt1Yh6Jd4Gf0SaQu';

describe('loadConfig', () => {
  it('has development defaults that need nothing set', () => {
    const config = loadConfig({});
    expect(config.nodeEnv).toBe('development');
    expect(config.http.port).toBe(3000);
    expect(config.http.publicUrl).toBe('http://localhost:3000');
    expect(config.http.frontendUrl).toBe('http://localhost:3000');
    expect(config.database.url).toBeUndefined();
    expect(config.database.poolSize).toBe(1);
    expect(config.database.dataDir).toBe('./data');
    expect(config.database.migrateOnStart).toBe(true);
    expect(config.internalApiTokenGenerated).toBe(true);
    expect(config.internalApiToken.length).toBeGreaterThanOrEqual(43);
    expect(config.session.secureCookie).toBe(false);
    expect(config.mail).toEqual({
      smtpUrl: undefined,
      from: 'Gatehouse <no-reply@localhost>',
      pollIntervalMs: 5000,
      retryBaseMs: 60_000,
      maxAttempts: 12,
    });
  });

  it('reads the mail settings; the default sender is at the host of PUBLIC_URL', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://login.example.com' }).mail.from).toBe(
      'Gatehouse <no-reply@login.example.com>',
    );
    const config = loadConfig({
      SMTP_URL: 'smtps://mailer:s3cret@smtp.example.com:465',
      MAIL_FROM: 'Acme Sign-in <sign-in@acme.example>',
      MAIL_POLL_INTERVAL_MS: '250',
    });
    expect(config.mail).toMatchObject({
      smtpUrl: 'smtps://mailer:s3cret@smtp.example.com:465',
      from: 'Acme Sign-in <sign-in@acme.example>',
      pollIntervalMs: 250,
    });
  });

  describe('TRUST_PROXY', () => {
    const trustProxy = (value: string) => loadConfig({ TRUST_PROXY: value }).http.trustProxy;

    it('is off by default and with false, no or 0', () => {
      expect(loadConfig({}).http.trustProxy).toBe(false);
      for (const value of ['false', 'no', '0']) expect(trustProxy(value)).toBe(false);
    });

    it('trusts one hop for true (never every hop: a client could choose its own address)', () => {
      expect(trustProxy('true')).toBe(1);
      expect(trustProxy('yes')).toBe(1);
      expect(trustProxy('1')).toBe(1);
    });

    it('takes a number of hops, or proxy addresses, subnets and names', () => {
      expect(trustProxy('2')).toBe(2);
      expect(trustProxy('10.0.0.0/8, 192.168.1.7,loopback, fd00::/8')).toEqual([
        '10.0.0.0/8',
        '192.168.1.7',
        'loopback',
        'fd00::/8',
      ]);
    });

    it('refuses anything else, naming the wrong entries', () => {
      expect(problemsOf({ TRUST_PROXY: '11' })).toEqual([
        expect.stringMatching(/^TRUST_PROXY: a number of proxy hops must be 0-10/),
      ]);
      expect(problemsOf({ TRUST_PROXY: 'proxy.example.com, 10.0.0.0/33, 10.0.0.1/8/2' })).toEqual([
        expect.stringContaining('proxy.example.com, 10.0.0.0/33, 10.0.0.1/8/2: not an IP address'),
      ]);
      expect(problemsOf({ TRUST_PROXY: 'everyone' })).toHaveLength(1);
    });
  });

  it('reads every variable into the typed object', () => {
    const config = loadConfig({
      PORT: '8080',
      PUBLIC_URL: 'https://login.example.com/',
      FRONTEND_URL: 'https://app.example.com',
      DATABASE_URL: 'postgres://u:p@db:5432/gatehouse',
      DATABASE_POOL_SIZE: '20',
      MIGRATE_ON_START: 'false',
      INTERNAL_API_TOKEN: strongToken,
      SECRET_KEY: strongKey,
    });
    expect(config.http.publicUrl).toBe('https://login.example.com');
    expect(config.http.frontendUrl).toBe('https://app.example.com');
    expect(config.session.secureCookie).toBe(true);
    expect(config.database).toMatchObject({
      url: 'postgres://u:p@db:5432/gatehouse',
      poolSize: 20,
      migrateOnStart: false,
    });
    expect(config.internalApiToken).toBe(strongToken);
    expect(config.internalApiTokenGenerated).toBe(false);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL'],
    [{ DATABASE_URL: 'mysql://x/y' }, 'DATABASE_URL'],
    [{ MIGRATE_ON_START: 'maybe' }, 'MIGRATE_ON_START'],
    [{ INTERNAL_API_TOKEN: 'short' }, 'INTERNAL_API_TOKEN'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ LOGIN_MAX_FAILURES_PER_ACCOUNT: '0' }, 'LOGIN_MAX_FAILURES_PER_ACCOUNT'],
    [{ SMTP_URL: 'http://mail.example.com' }, 'SMTP_URL'],
    [{ MAIL_FROM: 'nobody' }, 'MAIL_FROM'],
    [{ MAIL_FROM: 'a@b.example, c@d.example' }, 'MAIL_FROM'],
    [{ MAIL_POLL_INTERVAL_MS: '0' }, 'MAIL_POLL_INTERVAL_MS'],
  ])('names the variable of a bad value %j', (env, variable) => {
    expect(problemsOf(env).join('\n')).toMatch(new RegExp(`^${variable}:`, 'm'));
  });

  describe('in production', () => {
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/gatehouse',
      INTERNAL_API_TOKEN: strongToken,
      SECRET_KEY: strongKey,
      SMTP_URL: 'smtp://mailer:s3cret@smtp.internal:587',
    };

    it('starts with real secrets, a database and SMTP', () => {
      expect(problemsOf(production)).toEqual([]);
    });

    it.each(['DATABASE_URL', 'INTERNAL_API_TOKEN', 'SECRET_KEY', 'SMTP_URL'])(
      'refuses to start without %s',
      (name) => {
        const env: Record<string, string> = { ...production };
        delete env[name];
        expect(problemsOf(env)).toEqual([`${name}: required when NODE_ENV=production`]);
      },
    );

    it('refuses an http Office365 issuer', () => {
      expect(
        problemsOf({
          ...production,
          OFFICE365_CLIENT_ID: 'client',
          OFFICE365_CLIENT_SECRET: 'secret value',
          OFFICE365_ISSUER: 'http://login.example.com/v2.0',
        }),
      ).toEqual(['OFFICE365_ISSUER: must be an https URL when NODE_ENV=production']);
    });

    it.each([
      ['SECRET_KEY', 'change-me-change-me-change-me-change-me'],
      ['SECRET_KEY', 'gatehouse-development-secret-key-not-for-production'],
      ['INTERNAL_API_TOKEN', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'],
      ['INTERNAL_API_TOKEN', 'your-internal-api-token-placeholder-here'],
    ])('refuses a placeholder %s', (name, value) => {
      expect(problemsOf({ ...production, [name]: value })).toEqual([
        `${name}: looks like a placeholder; use a random value`,
      ]);
    });
  });
});
