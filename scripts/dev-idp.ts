/**
 * `npm run dev:idp -- --workspace <slug>`: a SAML identity provider on loopback for trying
 * Gatehouse with no external IdP. Development only: it signs with a throw-away key made at
 * start, keeps its people's passwords in plain text and answers scripted sign-ins.
 *
 * It registers itself (through the admin API) as the SAML provider "Local dev IdP" of the
 * workspace, or updates that provider's metadata when it is there already, and with `--scim` it
 * pushes its people and groups through the workspace's SCIM connection, as an IdP would.
 * See docs/dev-idp.md.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generateIdpKeyPair, readForm, startSamlIdp } from '../test/support/saml-idp.js';

/** scripts/dev-idp.people.json beside the sources, wherever the command runs from. */
const DEFAULT_PEOPLE = fileURLToPath(new URL('../../scripts/dev-idp.people.json', import.meta.url));
const DEV_IDP_PROVIDER_NAME = 'Local dev IdP';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const USAGE = `Usage: npm run dev:idp -- --workspace <slug> [options]

A SAML identity provider on 127.0.0.1 for local trials, registered as the SAML provider
"${DEV_IDP_PROVIDER_NAME}" of the workspace.

Options:
  -w, --workspace <slug>   the workspace to register with (required)
  -p, --people <file>      people and groups (JSON), default scripts/dev-idp.people.json
      --port <port>        port of the IdP, default DEV_IDP_PORT or 7070
      --scim               push the people and groups through SCIM (enables SCIM on the
                           workspace, or rotates its token when it is on already)
  -h, --help               this text

Environment:
  DEV_IDP_PORT         the default of --port
  GATEHOUSE_URL        Gatehouse's URL, default http://localhost:3000
  INTERNAL_API_TOKEN   the internal API token Gatehouse printed at start (required)

Routes of the IdP: /metadata, /sso (the sign-in form), /acs-url (the provider's ACS URL once
registered, 503 before), and for scripts and curl: POST /script/sign-in (email, password:
answers the form body to post to the ACS URL) and POST /script/scim-push (what --scim does).`;

interface DevPerson {
  email: string;
  password: string;
  givenName: string;
  familyName: string;
  admin?: boolean;
}

interface DevGroup {
  displayName: string;
  members: string[];
}

interface DevPeople {
  people: DevPerson[];
  groups: DevGroup[];
}

class UsageError extends Error {}

/** The people file, checked: every refusal names the entry. */
function readPeople(text: string): DevPeople {
  const parsed = JSON.parse(text) as Partial<DevPeople>;
  if (!Array.isArray(parsed.people) || parsed.people.length === 0) {
    throw new UsageError('The people file needs a non-empty "people" array.');
  }
  const emails = new Set<string>();
  for (const [i, person] of parsed.people.entries()) {
    for (const field of ['email', 'password', 'givenName', 'familyName'] as const) {
      if (typeof person?.[field] !== 'string' || !person[field].trim()) {
        throw new UsageError(`people[${i}].${field} must be a non-empty string.`);
      }
    }
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(person.email)) {
      throw new UsageError(`people[${i}].email is not an email address: ${person.email}`);
    }
    emails.add(person.email.toLowerCase());
  }
  const groups = parsed.groups ?? [];
  for (const [i, group] of groups.entries()) {
    if (typeof group?.displayName !== 'string' || !Array.isArray(group.members)) {
      throw new UsageError(`groups[${i}] needs a displayName and a members array.`);
    }
    const stranger = group.members.find((email) => !emails.has(String(email).toLowerCase()));
    if (stranger !== undefined) {
      throw new UsageError(`groups[${i}] (${group.displayName}) names ${stranger}, not a person.`);
    }
  }
  return { people: parsed.people, groups };
}

/** The admin API and SCIM of one Gatehouse, as this IdP calls them. */
class Gatehouse {
  constructor(
    private readonly base: string,
    private readonly token: string,
  ) {}

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    options: { token?: string; ok?: number[] } = {},
  ): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.token ?? this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed = (text ? JSON.parse(text) : {}) as T;
    if (!(options.ok ?? [200, 201, 204]).includes(response.status)) {
      throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    }
    return { status: response.status, body: parsed };
  }
}

interface RegisteredProvider {
  id: string;
  acsUrl: string;
  spEntityId: string;
  loginUrl: string;
}

async function register(
  gatehouse: Gatehouse,
  workspace: string,
  metadataXml: string,
): Promise<RegisteredProvider> {
  const path = `/api/workspaces/${encodeURIComponent(workspace)}/saml-providers`;
  const { body: providers } = await gatehouse.call<{
    items: (RegisteredProvider & { name: string })[];
  }>('GET', path);
  const existing = providers.items.find((provider) => provider.name === DEV_IDP_PROVIDER_NAME);
  const { body } = existing
    ? await gatehouse.call<RegisteredProvider>('PATCH', `${path}/${existing.id}`, {
        metadataXml,
        enabled: true,
      })
    : await gatehouse.call<RegisteredProvider>('POST', path, {
        name: DEV_IDP_PROVIDER_NAME,
        metadataXml,
      });
  return body;
}

/** A SCIM token for the workspace: SCIM enabled now, or its token rotated. */
async function scimToken(gatehouse: Gatehouse, workspace: string): Promise<string> {
  const path = `/api/workspaces/${encodeURIComponent(workspace)}/scim`;
  const enabled = await gatehouse.call<{ token: string; code?: string; message?: string }>(
    'POST',
    path,
    { provider: 'generic' },
    { ok: [201, 409] },
  );
  if (enabled.status === 201) return enabled.body.token;
  if (enabled.body.code !== 'SCIM_ALREADY_ENABLED') {
    throw new Error(
      `SCIM cannot be enabled: ${enabled.body.message ?? JSON.stringify(enabled.body)}`,
    );
  }
  return (await gatehouse.call<{ token: string }>('POST', `${path}/token`)).body.token;
}

/** Creates or replaces each person, then each group with its members, through SCIM. */
async function pushScim(gatehouse: Gatehouse, token: string, people: DevPeople) {
  const scim = (method: string, path: string, body?: unknown, ok?: number[]) =>
    gatehouse.call<Record<string, unknown>>(method, `/scim/v2${path}`, body, { token, ok });
  const find = async (resource: string, attribute: string, value: string) => {
    const filter = encodeURIComponent(`${attribute} eq ${JSON.stringify(value)}`);
    const { body } = await scim('GET', `/${resource}?filter=${filter}`);
    return (body.Resources as { id: string }[])[0]?.id;
  };
  const ids = new Map<string, string>();
  for (const person of people.people) {
    const user = {
      schemas: [USER_SCHEMA],
      userName: person.email,
      name: { givenName: person.givenName, familyName: person.familyName },
      emails: [{ value: person.email, type: 'work', primary: true }],
      active: true,
      roles: person.admin ? [{ value: 'admin' }] : [],
    };
    const created = await scim('POST', '/Users', user, [201, 409]);
    const id =
      created.status === 201
        ? (created.body.id as string)
        : await find('Users', 'userName', person.email);
    if (!id) throw new Error(`SCIM refused ${person.email}: ${JSON.stringify(created.body)}`);
    if (created.status === 409) await scim('PUT', `/Users/${id}`, user);
    ids.set(person.email.toLowerCase(), id);
  }
  for (const group of people.groups) {
    const resource = {
      schemas: [GROUP_SCHEMA],
      displayName: group.displayName,
      members: group.members.map((email) => ({ value: ids.get(email.toLowerCase()) })),
    };
    const id = await find('Groups', 'displayName', group.displayName);
    if (id) await scim('PUT', `/Groups/${id}`, resource);
    else await scim('POST', '/Groups', resource);
  }
}

const pushed = (people: DevPeople) =>
  `Pushed ${people.people.length} people and ${people.groups.length} groups through SCIM.`;

function send(res: ServerResponse, status: number, type: string, body: string) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      workspace: { type: 'string', short: 'w' },
      people: { type: 'string', short: 'p', default: DEFAULT_PEOPLE },
      port: { type: 'string', default: process.env.DEV_IDP_PORT ?? '7070' },
      scim: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const token = process.env.INTERNAL_API_TOKEN;
  if (!values.workspace) throw new UsageError('--workspace is required.');
  if (!token) throw new UsageError('INTERNAL_API_TOKEN is not set (Gatehouse prints it at start).');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`--port must be a port number: ${values.port}`);
  }
  const workspace = values.workspace;
  const people = readPeople(readFileSync(values.people, 'utf8'));
  const gatehouse = new Gatehouse(process.env.GATEHOUSE_URL ?? 'http://localhost:3000', token);

  let provider: RegisteredProvider | undefined;
  const idp = await startSamlIdp({
    port,
    key: await generateIdpKeyPair('Gatehouse local dev IdP'),
    users: people.people.map((person) => ({
      email: person.email,
      password: person.password,
      attributes: { givenName: person.givenName, surname: person.familyName },
    })),
    routes: {
      'GET /acs-url': (_req: IncomingMessage, res: ServerResponse) => {
        if (provider) send(res, 200, 'text/plain; charset=utf-8', provider.acsUrl);
        else send(res, 503, 'text/plain; charset=utf-8', 'Not registered yet.');
        return Promise.resolve();
      },
      'POST /script/scim-push': async (_req: IncomingMessage, res: ServerResponse) => {
        try {
          await pushScim(gatehouse, await scimToken(gatehouse, workspace), people);
          send(res, 200, 'text/plain; charset=utf-8', `${pushed(people)}\n`);
        } catch (error) {
          send(res, 409, 'text/plain; charset=utf-8', `${(error as Error).message}\n`);
        }
      },
      'POST /script/sign-in': async (req: IncomingMessage, res: ServerResponse) => {
        const form = await readForm(req);
        const email = form.get('email') ?? '';
        const person = people.people.find((p) => p.email.toLowerCase() === email.toLowerCase());
        if (!provider) return send(res, 503, 'text/plain; charset=utf-8', 'Not registered yet.');
        if (!person || person.password !== form.get('password')) {
          return send(res, 401, 'text/plain; charset=utf-8', 'Wrong email or password.');
        }
        const fields = await idp.idpInitiated(provider.acsUrl, provider.spEntityId, person.email);
        send(res, 200, 'application/x-www-form-urlencoded', new URLSearchParams(fields).toString());
      },
    },
  });
  const stop = () => void idp.close().finally(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  try {
    const registered = await register(gatehouse, workspace, idp.metadataXml);
    if (values.scim) await pushScim(gatehouse, await scimToken(gatehouse, workspace), people);
    provider = registered;
  } catch (error) {
    await idp.close();
    throw error;
  }
  console.log(`Local dev IdP at ${idp.url} (metadata ${idp.url}/metadata)
Registered as "${DEV_IDP_PROVIDER_NAME}" of workspace ${workspace}.
  Sign in in a browser: ${provider.loginUrl}
  ACS URL:              ${provider.acsUrl}
${values.scim ? `${pushed(people)}\n` : ''}People (email / password):
${people.people.map((p) => `  ${p.email} / ${p.password}${p.admin ? ' (admin)' : ''}`).join('\n')}
Ctrl-C stops it.`);
  return new Promise<number>(() => undefined);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`dev-idp: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(`dev-idp: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
