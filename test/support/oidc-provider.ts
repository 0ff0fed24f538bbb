import {
  createPrivateKey,
  generateKeyPairSync,
  type JsonWebKey,
  randomBytes,
  randomUUID,
  sign,
} from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OidcFetch } from '../../src/auth/oidc/oidc-fetch.js';

/**
 * A real OpenID provider (panva's oidc-provider) on 127.0.0.1 for the OpenID Connect tests
 * (Office365 and generic), driven without a browser through its development interactions (login
 * form, consent form).
 *
 * - `entra` mode emulates Microsoft Entra ID: one provider per tenant, each with the issuer
 *   `https://login.microsoftonline.com/<tenant>/v2.0` (mounted at that path, reached through the
 *   `fetch` below, which rewrites the host and says `X-Forwarded-Proto: https`), all signing
 *   with the same keys like Microsoft's. `https://login.microsoftonline.com/common/v2.0` serves a
 *   discovery document whose `issuer` is the `{tenantid}` template, exactly like Microsoft's; its
 *   token endpoint hands each code to the tenant that issued it. As at Microsoft, the
 *   authorization response carries no `iss` parameter.
 * - `plain` mode: a single provider whose issuer is its own `http://127.0.0.1:<port>`.
 *
 * `tamperIdToken` rewrites the claims of the ID tokens the app receives, signed again with the
 * provider's own key (so only the claims are wrong: issuer, audience, nonce...).
 */

export const TEST_CLIENT_ID = 'gatehouse-test-client';
export const TEST_CLIENT_SECRET = 'gatehouse-test-client-secret-0123456789';
export const TEST_REDIRECT_URI = 'http://gatehouse.test/auth/office365/callback';
/** The generic OpenID Connect method's callback, registered for the same client. */
export const TEST_OIDC_REDIRECT_URI = 'http://gatehouse.test/auth/oidc/callback';
const REDIRECT_URIS = [TEST_REDIRECT_URI, TEST_OIDC_REDIRECT_URI];
export const MICROSOFT_ORIGIN = 'https://login.microsoftonline.com';
export const MICROSOFT_COMMON_ISSUER = `${MICROSOFT_ORIGIN}/common/v2.0`;
/** The `tid` of every account in plain mode (a single-tenant issuer). */
export const PLAIN_MODE_TENANT = '5c1e7a2d-9b3f-4e60-8d21-7f0a4b6c3e99';
const FORWARDED = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'login.microsoftonline.com' };

export interface TestAccountClaims {
  email?: string;
  preferred_username?: string;
  name?: string;
  /** Default: the home tenant (entra mode), PLAIN_MODE_TENANT (plain mode); null: no claim. */
  tid?: string | null;
  /** The immutable object id. Default: a new UUID per account; null: no claim. */
  oid?: string | null;
  xms_edov?: boolean;
  /** Standard claim (generic OpenID Connect): the provider verified `email`. */
  email_verified?: boolean;
}

export interface TestAccount {
  /** What is typed into the login form; also the `sub`. */
  id: string;
  /** Entra mode: the tenant that signs this account in (its issuer). Default: the first tenant. */
  homeTenant?: string;
  /** The claims the ID token carries. In entra mode `tid` defaults to the home tenant. */
  claims: TestAccountClaims;
}

interface ProviderInstance {
  proxy: boolean;
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}
type ProviderConstructor = new (issuer: string, configuration: object) => ProviderInstance;

/** Runs `work` without oidc-provider's expected warnings (dev interactions, memory storage,
 * and, on Node 20, "unsupported runtime": it works, the suite pins nothing newer). */
async function quietly<T>(work: () => T | Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).includes('oidc-provider WARNING')) warn(...args);
  };
  try {
    return await work();
  } finally {
    console.warn = warn;
  }
}

let providerClass: Promise<ProviderConstructor> | undefined;
function loadProvider(): Promise<ProviderConstructor> {
  providerClass ??= quietly(async () => {
    // @ts-expect-error oidc-provider ships no type declarations; what is used is typed above.
    const module = (await import('oidc-provider')) as { default: ProviderConstructor };
    return module.default;
  });
  return providerClass;
}

/** A minimal cookie jar: names and values, all sent back (one login per jar). */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [key, val] = a.trim().split('=');
        return (
          (key?.toLowerCase() === 'expires' && new Date(val!).getTime() < Date.now()) ||
          (key?.toLowerCase() === 'max-age' && Number(val) <= 0)
        );
      });
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

export class TestOpenIdProvider {
  /** Every request the app made through `fetch` (method and URL as the app saw it). */
  readonly appRequests: string[] = [];
  /** When set, the app's requests fail as if the network were down. */
  offline = false;
  /** When set, rewrites the claims of each ID token the token endpoint hands the app. */
  tamperIdToken: ((claims: Record<string, unknown>) => Record<string, unknown>) | null = null;

  private readonly accounts = new Map<string, TestAccount>();
  private readonly providers = new Map<
    string,
    (req: IncomingMessage, res: ServerResponse) => void
  >();
  /** Which tenant issued each code (Microsoft's common endpoint knows; the emulation records). */
  private readonly codeTenants = new Map<string, string>();
  private origin = '';
  private signingJwk: JsonWebKey | undefined;

  private constructor(
    readonly mode: 'entra' | 'plain',
    readonly tenants: string[],
    private readonly server: Server,
  ) {}

  static async start(
    options: { mode: 'entra'; tenants: string[] } | { mode: 'plain' },
  ): Promise<TestOpenIdProvider> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const tenants = options.mode === 'entra' ? options.tenants.map((t) => t.toLowerCase()) : [];
    const op = new TestOpenIdProvider(options.mode, tenants, server);
    op.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const jwks = { keys: [signingKey()] };
    op.signingJwk = jwks.keys[0] as JsonWebKey;
    const Provider = await loadProvider();
    await quietly(() => {
      if (options.mode === 'entra') {
        for (const tenant of tenants) {
          const issuer = `${MICROSOFT_ORIGIN}/${tenant}/v2.0`;
          const provider = op.createProvider(Provider, issuer, jwks, tenant);
          provider.proxy = true; // trusts X-Forwarded-Proto/Host: it is reached as Microsoft
          op.providers.set(`/${tenant}/v2.0`, provider.callback());
        }
      } else {
        op.providers.set('', op.createProvider(Provider, op.origin, jwks, undefined).callback());
      }
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => op.dispatch(req, res));
    return op;
  }

  /** The OFFICE365_ISSUER the app should use. */
  get issuer(): string {
    return this.mode === 'entra' ? MICROSOFT_COMMON_ISSUER : this.origin;
  }

  /** Environment for startTestApp. */
  appEnv(extra: Record<string, string> = {}): Record<string, string> {
    return {
      OFFICE365_ISSUER: this.issuer,
      OFFICE365_CLIENT_ID: TEST_CLIENT_ID,
      OFFICE365_CLIENT_SECRET: TEST_CLIENT_SECRET,
      ...extra,
    };
  }

  addAccount(account: TestAccount): TestAccount {
    if (account.claims.oid === undefined) account.claims.oid = randomUUID();
    this.accounts.set(account.id, account);
    return account;
  }

  /**
   * Creates an account with a unique id; `claims` as given plus `tid` and `oid` (see
   * TestAccountClaims). The claims are read at each sign-in: change them to emulate a tenant
   * admin editing the account.
   */
  account(claims: TestAccountClaims, homeTenant?: string): TestAccount {
    return this.addAccount({ id: `user-${randomBytes(6).toString('hex')}`, homeTenant, claims });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve, reject) =>
      this.server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  /** The app's OIDC_FETCH: Microsoft's host goes to this server, the rest to the network. */
  readonly fetch: OidcFetch = async (url, options) => {
    const response = await this.route(url, options);
    const tamper = this.tamperIdToken;
    if (!tamper || options.method !== 'POST' || !new URL(url).pathname.endsWith('/token')) {
      return response;
    }
    const body = (await response.json()) as Record<string, unknown>;
    if (typeof body.id_token === 'string') body.id_token = this.resign(body.id_token, tamper);
    return Response.json(body, { status: response.status });
  };

  private async route(url: string, options: Parameters<OidcFetch>[1]): Promise<Response> {
    const init = options as RequestInit;
    this.appRequests.push(`${options.method} ${url}`);
    if (this.offline) throw new TypeError('fetch failed');
    const target = new URL(url);
    if (this.mode !== 'entra' || target.origin !== MICROSOFT_ORIGIN) return fetch(url, init);
    if (target.pathname === '/common/v2.0/.well-known/openid-configuration') {
      return this.commonDiscoveryDocument();
    }
    let path = target.pathname;
    if (path.startsWith('/common/v2.0/')) {
      const rest = path.slice('/common/v2.0'.length);
      let tenant = this.tenants[0]!;
      if (rest === '/token' && options.body != null) {
        const code = new URLSearchParams(bodyText(options.body)).get('code');
        tenant = (code && this.codeTenants.get(code)) || tenant;
      }
      path = `/${tenant}/v2.0${rest}`;
    }
    return fetch(`${this.origin}${path}${target.search}`, {
      ...init,
      headers: { ...options.headers, ...FORWARDED },
    });
  }

  /** The JWT with its claims rewritten, signed again with the provider's key. */
  private resign(
    jwt: string,
    tamper: (claims: Record<string, unknown>) => Record<string, unknown>,
  ) {
    const [header, payload] = jwt.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const rewritten = Buffer.from(JSON.stringify(tamper(claims))).toString('base64url');
    const key = createPrivateKey({ key: this.signingJwk!, format: 'jwk' });
    const signature = sign('sha256', Buffer.from(`${header}.${rewritten}`), key);
    return `${header}.${rewritten}.${signature.toString('base64url')}`;
  }

  /**
   * Plays the browser from the authorization URL the app redirected to until the provider
   * redirects back to the app: signs in as `accountId` and consents, or (`abort`) cancels.
   * Returns the callback URL (on the app's PUBLIC_URL) with its query.
   */
  async authorize(
    authorizationUrl: string,
    accountId: string,
    options: { abort?: boolean } = {},
  ): Promise<URL> {
    const account = this.accounts.get(accountId);
    if (!account) throw new Error(`no such test account ${accountId}`);
    const jar = new CookieJar();
    let url = new URL(authorizationUrl);
    let tenant: string | undefined;
    if (this.mode === 'entra') {
      // Home realm discovery: the account decides which tenant answers /common.
      tenant = (account.homeTenant ?? this.tenants[0]!).toLowerCase();
      if (url.origin !== MICROSOFT_ORIGIN || !url.pathname.startsWith('/common/v2.0/')) {
        throw new Error(`unexpected authorization URL ${url.href}`);
      }
      url = new URL(url.href.replace('/common/v2.0/', `/${tenant}/v2.0/`));
    }
    let method = 'GET';
    let body: URLSearchParams | undefined;
    for (let hop = 0; hop < 20; hop++) {
      if (REDIRECT_URIS.some((uri) => url.href.startsWith(uri))) {
        const code = url.searchParams.get('code');
        if (tenant && code) this.codeTenants.set(code, tenant);
        if (this.mode === 'entra') url.searchParams.delete('iss'); // Microsoft sends none
        return url;
      }
      const response = await this.browserRequest(url, method, jar, body);
      method = 'GET';
      body = undefined;
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.arrayBuffer();
        url = new URL(location, url);
        continue;
      }
      const html = await response.text();
      if (response.status !== 200) throw new Error(`provider said ${response.status}: ${html}`);
      const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      if (!prompt || !action) throw new Error(`unexpected provider page at ${url.href}`);
      if (options.abort) {
        url = new URL(`${url.pathname.replace(/\/$/, '')}/abort`, url);
        continue;
      }
      method = 'POST';
      body =
        prompt === 'login'
          ? new URLSearchParams({ prompt, login: account.id, password: 'any password' })
          : new URLSearchParams({ prompt });
      url = new URL(action.replace(/&amp;/g, '&'), url);
    }
    throw new Error('too many redirects at the provider');
  }

  private async browserRequest(
    url: URL,
    method: string,
    jar: CookieJar,
    body?: URLSearchParams,
  ): Promise<Response> {
    let target = url.href;
    let headers: Record<string, string> = { cookie: jar.header(), accept: 'text/html' };
    if (this.mode === 'entra') {
      if (url.origin !== MICROSOFT_ORIGIN) throw new Error(`browser left Microsoft: ${url.href}`);
      target = `${this.origin}${url.pathname}${url.search}`;
      headers = { ...headers, ...FORWARDED };
    }
    const response = await fetch(target, { method, headers, body, redirect: 'manual' });
    jar.store(response);
    return response;
  }

  /** Microsoft's /common/v2.0 document: endpoints under /common, issuer with `{tenantid}`. */
  private async commonDiscoveryDocument(): Promise<Response> {
    const tenant = this.tenants[0]!;
    const response = await fetch(`${this.origin}/${tenant}/v2.0/.well-known/openid-configuration`, {
      headers: FORWARDED,
    });
    const text = (await response.text()).replaceAll(
      `${MICROSOFT_ORIGIN}/${tenant}/v2.0`,
      MICROSOFT_COMMON_ISSUER,
    );
    const document = JSON.parse(text) as Record<string, unknown>;
    document.issuer = `${MICROSOFT_ORIGIN}/{tenantid}/v2.0`;
    delete document.authorization_response_iss_parameter_supported;
    return Response.json(document);
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): void {
    const path = req.url ?? '/';
    for (const [prefix, handler] of this.providers) {
      if (prefix === '') return handler(req, res);
      if (path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`)) {
        // Mounted like express.use(prefix): the provider learns its mount path from originalUrl.
        (req as IncomingMessage & { originalUrl?: string }).originalUrl = path;
        req.url = path.slice(prefix.length) || '/';
        return handler(req, res);
      }
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }

  private createProvider(
    Provider: ProviderConstructor,
    issuer: string,
    jwks: { keys: object[] },
    tenant: string | undefined,
  ): ProviderInstance {
    return new Provider(issuer, {
      clients: [
        {
          client_id: TEST_CLIENT_ID,
          client_secret: TEST_CLIENT_SECRET,
          redirect_uris: REDIRECT_URIS,
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_post',
        },
      ],
      jwks,
      pkce: { required: () => true },
      // Scope claims go into the ID token, as Microsoft does (not only into userinfo).
      conformIdTokenClaims: false,
      claims: {
        openid: ['sub', 'tid', 'oid'],
        email: ['email', 'email_verified', 'xms_edov'],
        profile: ['name', 'preferred_username'],
      },
      features: { devInteractions: { enabled: true } },
      ttl: {
        AccessToken: 600,
        AuthorizationCode: 60,
        IdToken: 600,
        Grant: 600,
        Interaction: 600,
        Session: 600,
      },
      cookies: { keys: [randomBytes(16).toString('hex')] },
      findAccount: (_ctx: unknown, id: string) => {
        const account = this.accounts.get(id);
        if (!account) return undefined;
        const home = account.homeTenant?.toLowerCase() ?? tenant;
        // An account signs in only at its home tenant (the others do not know it).
        if (tenant !== undefined && home !== undefined && home !== tenant) return undefined;
        return {
          accountId: id,
          claims: () =>
            Object.fromEntries(
              Object.entries({
                sub: id,
                tid: tenant ?? PLAIN_MODE_TENANT,
                ...account.claims,
              }).filter(([, value]) => value !== null && value !== undefined),
            ),
        };
      },
    });
  }
}

function bodyText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof Uint8Array) return Buffer.from(body).toString('utf8');
  return '';
}

function signingKey(): object {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: 'gatehouse-test-key', use: 'sig' };
}
