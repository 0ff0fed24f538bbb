import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';

const booleanFromEnv = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], {
    error: 'must be one of true, false, 1, 0, yes, no',
  })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const positiveInt = z.coerce.number().int().positive();

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * Which proxies may say who the client is (X-Forwarded-For), as Express's `trust proxy` takes it:
 * false; a number of proxy hops (the client is the entry that many places from the right: a
 * client cannot push it aside by sending its own header); or the proxies' addresses, subnets
 * and names. `true` means one hop: trusting every hop would let any client choose its address
 * in front of a proxy that appends to the header, and with it the sign-in throttle's key.
 */
const trustProxyFromEnv = z.string().transform((raw, ctx): false | number | string[] => {
  const value = raw.trim().toLowerCase();
  if (['false', 'no', '0', ''].includes(value)) return false;
  if (['true', 'yes'].includes(value)) return 1;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops <= 10) return hops;
    ctx.addIssue({ code: 'custom', message: 'a number of proxy hops must be 0-10' });
    return z.NEVER;
  }
  const entries = value.split(',').map((entry) => entry.trim());
  const wrong = entries.filter(
    (entry) => !PROXY_NAMES.includes(entry) && !isAddressOrSubnet(entry),
  );
  if (wrong.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message:
        `${wrong.join(', ')}: not an IP address, a subnet (address/prefix) or one of ` +
        `${PROXY_NAMES.join(', ')}; use false, true (one hop), a number of hops, or a list of these`,
    });
    return z.NEVER;
  }
  return entries;
});

function isAddressOrSubnet(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/** A comma-separated list of secrets (a rotation's previous values), each ≥ 32 characters. */
const secretList = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim()))
  .superRefine((items, ctx) => {
    items.forEach((item, i) => {
      if (item.length < 32)
        ctx.addIssue({
          code: 'custom',
          message: `value ${i + 1} of ${items.length} must be at least 32 characters (comma-separated list)`,
        });
    });
  });

export const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  FRONTEND_URL: z.url({ protocol: /^https?$/ }).optional(),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// (or postgresql://) URL' })
    .optional(),
  DATABASE_POOL_SIZE: positiveInt.max(200).default(10),
  DATABASE_CONNECT_TIMEOUT_MS: positiveInt.max(60_000).default(3000),
  DATABASE_STATEMENT_TIMEOUT_MS: positiveInt.max(3_600_000).default(15_000),
  DATA_DIR: z.string().min(1).default('./data'),
  MIGRATE_ON_START: booleanFromEnv.default(true),
  INTERNAL_API_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  INTERNAL_API_TOKEN_PREVIOUS: secretList.optional(),
  SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  SECRET_KEY_PREVIOUS: secretList.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  METRICS_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  TRUST_PROXY: trustProxyFromEnv.default(false),
  SHUTDOWN_DRAIN_MS: z.coerce.number().int().min(0).max(120_000).default(0),
  SESSION_COOKIE_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must contain only letters, digits, _ and -')
    .default('gatehouse_session'),
  INVITE_TTL_SECONDS: positiveInt.default(7 * 24 * 3600),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: positiveInt.default(5),
  LOGIN_MAX_FAILURES_PER_IP: positiveInt.default(50),
  LOGIN_FAILURE_WINDOW_SECONDS: positiveInt.default(15 * 60),
  OFFICE365_ISSUER: z
    .url({ protocol: /^https?$/ })
    .default('https://login.microsoftonline.com/common/v2.0'),
  OFFICE365_CLIENT_ID: z.string().min(1).optional(),
  OFFICE365_CLIENT_SECRET: z.string().min(1).optional(),
  OFFICE365_ALLOWED_TENANTS: z
    .string()
    .regex(/^[0-9a-f-]+(,[0-9a-f-]+)*$/i, 'must be a comma-separated list of tenant ids')
    .optional(),
  SAML_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(600).default(60),
  SAML_REQUEST_TTL_SECONDS: positiveInt.max(86_400).default(600),
  SCIM_TOKEN_GRACE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(30 * 86_400)
    .default(3600),
  SCIM_REQUEST_LOG_DAYS: positiveInt.max(365).default(7),
  SMTP_URL: z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional(),
  MAIL_FROM: z
    .string()
    .regex(/^([^<>@\r\n]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/, {
      error: 'must be an address, e.g. Gatehouse <no-reply@example.com>',
    })
    .optional(),
  MAIL_POLL_INTERVAL_MS: positiveInt.max(3_600_000).default(5000),
  MAIL_RETRY_BASE_MS: positiveInt.max(3_600_000).default(60_000),
  MAIL_MAX_ATTEMPTS: positiveInt.max(100).default(12),
  WEBHOOK_TIMEOUT_MS: positiveInt.max(60_000).default(10_000),
  WEBHOOK_POLL_INTERVAL_MS: positiveInt.max(3_600_000).default(5000),
  WEBHOOK_RETRY_BASE_MS: positiveInt.max(3_600_000).default(30_000),
  WEBHOOK_MAX_ATTEMPTS: positiveInt.max(100).default(10),
  WEBHOOK_ALLOW_LOOPBACK: booleanFromEnv.default(false),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: booleanFromEnv.default(false),
  WEBHOOK_DELIVERY_LOG_DAYS: positiveInt.max(365).default(30),
});

export type Environment = z.input<typeof environmentSchema>;

/** Every environment variable the service reads (docs/operations.md lists them). */
export const environmentVariableNames = Object.keys(environmentSchema.shape);

export interface AppConfig {
  nodeEnv: 'development' | 'test' | 'production';
  http: {
    host: string;
    port: number;
    publicUrl: string;
    frontendUrl: string;
    /** Express's `trust proxy`: false, a number of hops, or trusted addresses, subnets, names. */
    trustProxy: false | number | string[];
    /** After a stop signal: serve this long with /health/ready at 503 before closing the listener. */
    shutdownDrainMs: number;
  };
  database: {
    /** Undefined: run the embedded PostgreSQL (PGlite) under `dataDir`. */
    url: string | undefined;
    poolSize: number;
    dataDir: string;
    migrateOnStart: boolean;
    /** How long a request waits for a connection (new, or free in the pool) before a 503. */
    connectTimeoutMs: number;
    /** PostgreSQL's statement_timeout for the app's sessions (not for migrations). */
    statementTimeoutMs: number;
  };
  internalApiToken: string;
  /** True when the token was generated at start (development only) and must be shown once. */
  internalApiTokenGenerated: boolean;
  /** Tokens still accepted during a rotation (INTERNAL_API_TOKEN_PREVIOUS); empty otherwise. */
  previousInternalApiTokens: string[];
  /** Makes every new digest and sealed value. */
  secretKey: string;
  /**
   * Keys still accepted during a rotation (SECRET_KEY_PREVIOUS): digests made and values sealed
   * under them are recognised, never new ones made. Empty otherwise.
   */
  previousSecretKeys: string[];
  logLevel: string;
  /** The Bearer token `GET /metrics` takes; undefined: the internal API token. */
  metrics: { token: string | undefined };
  session: { cookieName: string; secureCookie: boolean };
  invites: { ttlSeconds: number };
  loginThrottle: { maxPerAccount: number; maxPerIp: number; windowSeconds: number };
  office365: {
    issuer: string;
    /** Undefined: Office365 sign-in is not configured on this deployment. */
    clientId: string | undefined;
    clientSecret: string | undefined;
    /** Entra tenant ids allowed to sign in; empty = any tenant (multi-tenant app). */
    allowedTenants: string[];
  };
  saml: { clockSkewSeconds: number; requestTtlSeconds: number };
  scim: { tokenGraceSeconds: number; requestLogDays: number };
  mail: {
    /** Undefined (never in production): mails go to the log and GET /api/dev/outbox. */
    smtpUrl: string | undefined;
    from: string;
    pollIntervalMs: number;
    /** First retry delay; each further attempt waits twice as long (capped at an hour). */
    retryBaseMs: number;
    maxAttempts: number;
  };
  webhooks: {
    /** The whole POST of one delivery attempt. */
    timeoutMs: number;
    pollIntervalMs: number;
    /** First retry delay; each further attempt waits twice as long (capped at an hour). */
    retryBaseMs: number;
    maxAttempts: number;
    /** Loopback targets (and http to them): development and tests. */
    allowLoopback: boolean;
    /** Private network targets (RFC 1918, CGNAT, IPv6 ULA), https only. */
    allowPrivateNetworks: boolean;
    /** Delivered and failed deliveries are kept this long in the delivery log. */
    deliveryLogDays: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const DEVELOPMENT_SECRET_KEY = 'gatehouse-development-secret-key-not-for-production';
const PLACEHOLDER_PATTERN = /change.?me|placeholder|example|not.?for.?production|^(.)\1+$|secret$/i;

function isPlaceholder(value: string): boolean {
  return PLACEHOLDER_PATTERN.test(value);
}

/**
 * What is wrong with a list of previous secrets, naming positions, never values: equal to the
 * current one (the rotation would change nothing), repeated, or a placeholder in production.
 */
function previousSecretProblems(
  name: string,
  previous: string[] | undefined,
  current: string | undefined,
  production: boolean,
): string[] {
  const problems: string[] = [];
  (previous ?? []).forEach((value, i) => {
    const which = `value ${i + 1}`;
    if (value === current)
      problems.push(
        `${name}: ${which} equals ${name.replace(/_PREVIOUS$/, '')}; list old values only`,
      );
    else if (previous?.indexOf(value) !== i) problems.push(`${name}: ${which} is repeated`);
    if (production && isPlaceholder(value))
      problems.push(`${name}: ${which} looks like a placeholder; use a random value`);
  });
  return problems;
}

/** Reads and validates the environment once. Throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  }
  const e = parsed.data;
  const problems: string[] = [];
  const production = e.NODE_ENV === 'production';

  if (production) {
    if (!e.DATABASE_URL) problems.push('DATABASE_URL: required when NODE_ENV=production');
    if (!e.INTERNAL_API_TOKEN)
      problems.push('INTERNAL_API_TOKEN: required when NODE_ENV=production');
    else if (isPlaceholder(e.INTERNAL_API_TOKEN))
      problems.push('INTERNAL_API_TOKEN: looks like a placeholder; use a random value');
    if (!e.SECRET_KEY) problems.push('SECRET_KEY: required when NODE_ENV=production');
    else if (isPlaceholder(e.SECRET_KEY))
      problems.push('SECRET_KEY: looks like a placeholder; use a random value');
    // Invites are delivered by e-mail only: without SMTP nobody could ever accept one.
    if (!e.SMTP_URL) problems.push('SMTP_URL: required when NODE_ENV=production');
    if (e.METRICS_TOKEN && isPlaceholder(e.METRICS_TOKEN))
      problems.push('METRICS_TOKEN: looks like a placeholder; use a random value');
  }
  if (production && e.OFFICE365_CLIENT_ID && !e.OFFICE365_ISSUER.startsWith('https://')) {
    problems.push('OFFICE365_ISSUER: must be an https URL when NODE_ENV=production');
  }
  const secretKey = e.SECRET_KEY ?? DEVELOPMENT_SECRET_KEY;
  problems.push(
    ...previousSecretProblems('SECRET_KEY_PREVIOUS', e.SECRET_KEY_PREVIOUS, secretKey, production),
    ...previousSecretProblems(
      'INTERNAL_API_TOKEN_PREVIOUS',
      e.INTERNAL_API_TOKEN_PREVIOUS,
      e.INTERNAL_API_TOKEN,
      production,
    ),
  );
  if (e.INTERNAL_API_TOKEN_PREVIOUS && !e.INTERNAL_API_TOKEN)
    problems.push('INTERNAL_API_TOKEN_PREVIOUS: needs INTERNAL_API_TOKEN set (the new token)');
  if (e.OFFICE365_CLIENT_ID && !e.OFFICE365_CLIENT_SECRET) {
    problems.push('OFFICE365_CLIENT_SECRET: required when OFFICE365_CLIENT_ID is set');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const publicUrl = stripTrailingSlash(e.PUBLIC_URL ?? `http://localhost:${e.PORT}`);
  const internalApiTokenGenerated = !e.INTERNAL_API_TOKEN;
  return {
    nodeEnv: e.NODE_ENV,
    http: {
      host: e.HOST,
      port: e.PORT,
      publicUrl,
      frontendUrl: stripTrailingSlash(e.FRONTEND_URL ?? publicUrl),
      trustProxy: e.TRUST_PROXY,
      shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    },
    database: {
      url: e.DATABASE_URL,
      poolSize: e.DATABASE_URL ? e.DATABASE_POOL_SIZE : 1,
      dataDir: e.DATA_DIR,
      migrateOnStart: e.MIGRATE_ON_START,
      connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    },
    internalApiToken: e.INTERNAL_API_TOKEN ?? randomBytes(32).toString('base64url'),
    internalApiTokenGenerated,
    previousInternalApiTokens: e.INTERNAL_API_TOKEN_PREVIOUS ?? [],
    secretKey,
    previousSecretKeys: e.SECRET_KEY_PREVIOUS ?? [],
    logLevel: e.LOG_LEVEL,
    metrics: { token: e.METRICS_TOKEN },
    session: {
      cookieName: e.SESSION_COOKIE_NAME,
      secureCookie: publicUrl.startsWith('https://'),
    },
    invites: { ttlSeconds: e.INVITE_TTL_SECONDS },
    loginThrottle: {
      maxPerAccount: e.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      maxPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
      windowSeconds: e.LOGIN_FAILURE_WINDOW_SECONDS,
    },
    office365: {
      issuer: e.OFFICE365_ISSUER,
      clientId: e.OFFICE365_CLIENT_ID,
      clientSecret: e.OFFICE365_CLIENT_SECRET,
      allowedTenants: (e.OFFICE365_ALLOWED_TENANTS ?? '')
        .split(',')
        .filter(Boolean)
        .map((tenant) => tenant.toLowerCase()),
    },
    saml: {
      clockSkewSeconds: e.SAML_CLOCK_SKEW_SECONDS,
      requestTtlSeconds: e.SAML_REQUEST_TTL_SECONDS,
    },
    scim: {
      tokenGraceSeconds: e.SCIM_TOKEN_GRACE_SECONDS,
      requestLogDays: e.SCIM_REQUEST_LOG_DAYS,
    },
    mail: {
      smtpUrl: e.SMTP_URL,
      from: e.MAIL_FROM ?? `Gatehouse <no-reply@${new URL(publicUrl).hostname}>`,
      pollIntervalMs: e.MAIL_POLL_INTERVAL_MS,
      retryBaseMs: e.MAIL_RETRY_BASE_MS,
      maxAttempts: e.MAIL_MAX_ATTEMPTS,
    },
    webhooks: {
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      pollIntervalMs: e.WEBHOOK_POLL_INTERVAL_MS,
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      allowLoopback: e.WEBHOOK_ALLOW_LOOPBACK,
      allowPrivateNetworks: e.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
      deliveryLogDays: e.WEBHOOK_DELIVERY_LOG_DAYS,
    },
  };
}

function stripTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Origins whose pages may call the API with the session cookie (CORS and the CSRF check). */
export function allowedOrigins(config: AppConfig): string[] {
  return [
    ...new Set([new URL(config.http.publicUrl).origin, new URL(config.http.frontendUrl).origin]),
  ];
}
