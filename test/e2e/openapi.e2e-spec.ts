import SwaggerParser from '@apidevtools/swagger-parser';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { startTestApp, TestApp } from '../support/test-app.js';

/** The parts of an OpenAPI 3 document these checks read. */
interface Parameter {
  name: string;
  in: string;
  schema?: { type?: string; items?: { type?: string } };
}
interface Operation {
  parameters?: Parameter[];
  responses?: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}
type PathItem = Record<string, Operation> & { parameters?: Parameter[] };
interface Document {
  openapi: string;
  paths: Record<string, PathItem>;
  components?: { schemas?: Record<string, unknown> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function operations(document: Document) {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const operation = item[method];
      if (!operation) return [];
      const parameters = [...(item.parameters ?? []), ...(operation.parameters ?? [])];
      return [{ path, method, operation, parameters }];
    }),
  );
}

/** `{x}` in a path template without its `in: path` parameter, or the reverse. */
function pathParameterProblems(document: Document): string[] {
  return operations(document).flatMap(({ path, method, parameters }) => {
    const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '');
    const declared = parameters.filter((p) => p.in === 'path').map((p) => p.name);
    return [
      ...inTemplate
        .filter((name) => !declared.includes(name))
        .map((name) => `${method.toUpperCase()} ${path}: no path parameter "${name}"`),
      ...declared
        .filter((name) => !inTemplate.includes(name))
        .map((name) => `${method.toUpperCase()} ${path}: path parameter "${name}" not in the path`),
    ];
  });
}

/** Gatehouse takes no fractional number in a query: such a parameter is an integer typed wrong. */
function numberQueryParameters(document: Document): string[] {
  return operations(document).flatMap(({ path, method, parameters }) =>
    parameters
      .filter((p) => p.in === 'query')
      .filter((p) => p.schema?.type === 'number' || p.schema?.items?.type === 'number')
      .map((p) => `${method.toUpperCase()} ${path}: query "${p.name}" is "number"`),
  );
}

/** Health probes take no input and no credential: no client error is theirs to answer. */
const WITHOUT_CLIENT_ERRORS = ['GET /health/live', 'GET /health/ready'];

/** Statuses of an operation's answers that carry the error schema (the SCIM one under /scim/v2). */
function errorStatuses(path: string, operation: Operation): string[] {
  const schema = path.startsWith('/scim/v2/')
    ? '#/components/schemas/ScimErrorDto'
    : '#/components/schemas/ApiErrorDto';
  return Object.entries(operation.responses ?? {})
    .filter(([, response]) =>
      Object.values(response.content ?? {}).some((media) => media.schema?.$ref === schema),
    )
    .map(([status]) => status);
}

/** Places where a schema says `number`: Gatehouse has no fractional numbers, all are integers. */
function numberSchemas(value: unknown, at = '#'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => numberSchemas(v, `${at}/${i}`));
  if (!value || typeof value !== 'object') return [];
  const here = (value as { type?: unknown }).type === 'number' ? [at] : [];
  return [
    ...here,
    ...Object.entries(value).flatMap(([key, v]) =>
      numberSchemas(v, `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`),
    ),
  ];
}

/** Operations with no 4xx answer carrying the error schema. */
function operationsWithoutErrors(document: Document): string[] {
  return operations(document)
    .filter(
      ({ path, method }) => !WITHOUT_CLIENT_ERRORS.includes(`${method.toUpperCase()} ${path}`),
    )
    .filter(({ path, operation }) => !errorStatuses(path, operation).some((s) => /^4\d\d$/.test(s)))
    .map(({ path, method }) => `${method.toUpperCase()} ${path}`);
}

function operationOf(document: Document, path: string, method: string): Operation {
  const operation = document.paths[path]?.[method];
  if (!operation) throw new Error(`${method.toUpperCase()} ${path} is not documented`);
  return operation;
}

/** Operations that document no success (2xx) or redirect (3xx) answer. */
function operationsWithoutSuccess(document: Document): string[] {
  return operations(document)
    .filter(
      ({ operation }) => !Object.keys(operation.responses ?? {}).some((s) => /^[23]\d\d$/.test(s)),
    )
    .map(({ path, method }) => `${method.toUpperCase()} ${path}`);
}

/** Success answers (but 204) that describe no body. */
function answersWithoutBody(document: Document): string[] {
  return operations(document).flatMap(({ path, method, operation }) =>
    Object.entries(operation.responses ?? {})
      .filter(([status]) => /^2\d\d$/.test(status) && status !== '204')
      .filter(([, response]) => Object.keys(response.content ?? {}).length === 0)
      .map(([status]) => `${method.toUpperCase()} ${path} ${status}`),
  );
}

interface RouteLayer {
  route?: { path: unknown; methods: Record<string, boolean> };
}

/** `METHOD /path/{param}` of every route the Express app serves, but the documentation's own. */
function servedRoutes(t: TestApp): string[] {
  const stack = (t.app.getHttpAdapter().getInstance().router as { stack: RouteLayer[] }).stack;
  const routes = stack.flatMap(({ route }) => {
    if (!route || typeof route.path !== 'string' || route.path.startsWith('/docs')) return [];
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    return Object.keys(route.methods)
      .filter((method) => route.methods[method] && method !== '_all')
      .map((method) => `${method.toUpperCase()} ${path}`);
  });
  return [...new Set(routes)];
}

function documentedRoutes(document: Document): string[] {
  return operations(document).map(({ path, method }) => `${method.toUpperCase()} ${path}`);
}

/** TypeScript errors of the files, compiled strictly on their own. */
function compile(files: string[]): string[] {
  const program = ts.createProgram(files, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    skipLibCheck: false,
    types: [],
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('OpenAPI document', () => {
  let t: TestApp;
  let document: Document;
  beforeAll(async () => {
    t = await startTestApp();
    document = (await t.http.get('/docs/json').expect(200)).body as Document;
  }, 120_000);
  afterAll(() => t?.close());

  it('is a valid OpenAPI 3 document', async () => {
    expect(document.openapi).toMatch(/^3\./);
    // validate() dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeTruthy();
  });

  it('declares every path parameter of every operation, and only those', () => {
    expect(pathParameterProblems(document)).toEqual([]);
  });

  it('lists every route the app serves, with its method, and no other', () => {
    const served = servedRoutes(t).sort();
    expect(served.length).toBeGreaterThan(40);
    expect(documentedRoutes(document).sort()).toEqual(served);
  });

  it('types integers as integer: query parameters, bodies and answers', () => {
    expect(numberQueryParameters(document)).toEqual([]);
    expect(numberSchemas(document)).toEqual([]);
    const members = operationOf(document, '/api/workspaces/{ws}/members', 'get').parameters ?? [];
    expect(members.find((p) => p.name === 'limit')?.schema?.type).toBe('integer');
  });

  it('documents the success answer of every operation, with its body', () => {
    expect(operationsWithoutSuccess(document)).toEqual([]);
    expect(answersWithoutBody(document)).toEqual([]);
  });

  it('documents error answers with the error schema on every operation', () => {
    expect(operationsWithoutErrors(document)).toEqual([]);
    expect(errorStatuses('/health/ready', operationOf(document, '/health/ready', 'get'))).toEqual([
      '503',
    ]);
    expect(document.components?.schemas).toHaveProperty('ApiErrorDto');
    expect(document.components?.schemas).toHaveProperty('ScimErrorDto');
  });

  it('refuses documents that break each rule', () => {
    const broken = structuredClone(document);
    const item = broken.paths['/api/workspaces/{ws}/members'] ?? {};
    const get = operationOf(broken, '/api/workspaces/{ws}/members', 'get');
    get.parameters = (get.parameters ?? []).filter((p) => p.name !== 'ws');
    item.parameters = [];
    expect(pathParameterProblems(broken)).toEqual([
      'GET /api/workspaces/{ws}/members: no path parameter "ws"',
    ]);

    get.parameters.push({ name: 'extra', in: 'path', schema: { type: 'string' } });
    expect(pathParameterProblems(broken)).toContain(
      'GET /api/workspaces/{ws}/members: path parameter "extra" not in the path',
    );

    const limit = get.parameters.find((p) => p.name === 'limit');
    limit!.schema = { type: 'number' };
    expect(numberQueryParameters(broken)).toEqual([
      'GET /api/workspaces/{ws}/members: query "limit" is "number"',
    ]);
    expect(numberSchemas(broken)).toEqual([
      '#/paths/~1api~1workspaces~1{ws}~1members/get/parameters/0/schema',
    ]);

    get.responses = { '200': {} };
    expect(operationsWithoutErrors(broken)).toEqual(['GET /api/workspaces/{ws}/members']);
    expect(answersWithoutBody(broken)).toEqual(['GET /api/workspaces/{ws}/members 200']);
    get.responses = {};
    expect(operationsWithoutSuccess(broken)).toEqual(['GET /api/workspaces/{ws}/members']);

    delete item.get;
    expect(servedRoutes(t)).toContain('GET /api/workspaces/{ws}/members');
    expect(documentedRoutes(broken)).not.toContain('GET /api/workspaces/{ws}/members');
  });

  it('generates TypeScript types that compile and that a client can use', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gatehouse-openapi-'));
    try {
      const types = astToString(await openapiTS(structuredClone(document) as never));
      await writeFile(join(dir, 'api.d.ts'), types);
      // A client's use: the workspace path parameter, an integer query, a body, the error shape.
      await writeFile(
        join(dir, 'client.ts'),
        `import type { components, paths } from './api.js';
type ListMembers = paths['/api/workspaces/{ws}/members']['get'];
export const ws: ListMembers['parameters']['path']['ws'] = 'acme';
export const limit: NonNullable<ListMembers['parameters']['query']>['limit'] = 10;
export const error: components['schemas']['ApiErrorDto'] = {
  statusCode: 404,
  code: 'MEMBER_NOT_FOUND',
  message: 'No such member.',
};
export const body: paths['/auth/password/login']['post']['requestBody']['content']['application/json'] =
  { workspace: 'acme', email: 'ada@example.com', password: 'secret' };
`,
      );
      await writeFile(join(dir, 'package.json'), '{"type":"module"}');
      expect(compile([join(dir, 'api.d.ts'), join(dir, 'client.ts')])).toEqual([]);

      // The compiler does refuse a client the document does not allow.
      await writeFile(
        join(dir, 'wrong.ts'),
        `import type { paths } from './api.js';
export const ws: paths['/api/workspaces/{ws}/members']['get']['parameters']['path']['workspace'] = 'x';
`,
      );
      expect(compile([join(dir, 'api.d.ts'), join(dir, 'wrong.ts')]).length).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
