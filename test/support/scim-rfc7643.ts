/**
 * RFC 7643's rules for the discovery documents, as a strict SCIM client applies them: §7 (Schema
 * resources and attribute characteristics), §6 (ResourceType), §5 (ServiceProviderConfig), and
 * RFC 7644 §3.4.2 for the ListResponse around them. Every object kind is an allow-list: a key the
 * RFC does not define is a problem. Each check returns the problems found ([] when valid).
 */
import { z } from 'zod';

export const SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
export const RESOURCE_TYPE_URN = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const SERVICE_PROVIDER_CONFIG_URN =
  'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const LIST_RESPONSE_URN = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

/** §2.3: the data types. */
const TYPES = [
  'string',
  'boolean',
  'decimal',
  'integer',
  'dateTime',
  'reference',
  'complex',
  'binary',
] as const;

/** §2.1: ATTRNAME = ALPHA *(nameChar); "$ref" is the reference sub-attribute's name (§2.3.7). */
const ATTRIBUTE_NAME = /^(\$ref|[A-Za-z][A-Za-z0-9_-]*)$/;

const nonEmpty = z.string().trim().min(1);

/** Cross-field rules run even when a field is already wrong, so one run reports every fault. */
const whenAnObject = {
  when: (payload: { value: unknown }) =>
    typeof payload.value === 'object' && payload.value !== null,
};

/** §3.1 `meta`, as a discovery document carries it. */
function meta(resourceType: string, locationEnd: RegExp) {
  return z.strictObject({
    resourceType: z.literal(resourceType),
    location: z
      .string()
      .regex(/^https?:\/\//, 'an absolute URL')
      .regex(locationEnd),
    created: z.iso.datetime({ offset: true }).optional(),
    lastModified: z.iso.datetime({ offset: true }).optional(),
    version: z.string().optional(),
  });
}

export interface RfcContext {
  /** The `name`s /ResourceTypes advertises: what a `referenceTypes` may name besides external/uri. */
  resourceTypes: string[];
}

interface Attribute {
  name: string;
  type: (typeof TYPES)[number];
  multiValued: boolean;
  description: string;
  required: boolean;
  caseExact?: boolean;
  canonicalValues?: string[];
  mutability: string;
  returned: string;
  uniqueness: string;
  referenceTypes?: string[];
  subAttributes?: Attribute[];
}

/**
 * §7 "attributes": each characteristic the RFC names, and no other. `sub` is true for the
 * sub-attributes of a complex attribute, which may not be complex themselves (§2.3.8).
 */
function attribute(context: RfcContext, sub: boolean): z.ZodType<Attribute> {
  return z
    .strictObject({
      name: z.string().regex(ATTRIBUTE_NAME, 'an ATTRNAME (RFC 7643 §2.1)'),
      type: z.enum(TYPES),
      multiValued: z.boolean(),
      description: nonEmpty,
      required: z.boolean(),
      caseExact: z.boolean().optional(),
      canonicalValues: z.array(nonEmpty).optional(),
      mutability: z.enum(['readOnly', 'readWrite', 'immutable', 'writeOnly']),
      returned: z.enum(['always', 'never', 'default', 'request']),
      uniqueness: z.enum(['none', 'server', 'global']),
      referenceTypes: z
        .array(z.union([z.enum(['external', 'uri']), z.enum(context.resourceTypes)]))
        .min(1)
        .optional(),
      subAttributes: z.lazy(() => z.array(attribute(context, true)).min(1)).optional(),
    })
    .superRefine((a, ctx) => {
      const problem = (message: string) => ctx.addIssue({ code: 'custom', message });
      if (a.type === 'reference' && !a.referenceTypes) {
        problem(`"${a.name}" is a reference without referenceTypes (§7)`);
      }
      if (a.type !== 'reference' && a.referenceTypes) {
        problem(`"${a.name}" has referenceTypes but is not a reference (§7)`);
      }
      if ((a.type === 'string' || a.type === 'reference') && a.caseExact === undefined) {
        problem(`"${a.name}" is a ${a.type} without caseExact (§7)`);
      }
      if (a.type === 'complex' && !a.subAttributes) {
        problem(`"${a.name}" is complex without subAttributes (§7)`);
      }
      if (a.type !== 'complex' && a.subAttributes) {
        problem(`"${a.name}" has subAttributes but is not complex (§7)`);
      }
      if (sub && a.type === 'complex') {
        problem(`"${a.name}" is a complex sub-attribute (§2.3.8 forbids it)`);
      }
      const names = (Array.isArray(a.subAttributes) ? a.subAttributes : []).map((s) =>
        String(s?.name).toLowerCase(),
      );
      if (new Set(names).size !== names.length) {
        problem(`"${a.name}" lists a sub-attribute twice (names are case-insensitive, §2.1)`);
      }
    }, whenAnObject);
}

/** §7: a Schema resource. */
function schemaResource(context: RfcContext) {
  return z
    .strictObject({
      schemas: z.tuple([z.literal(SCHEMA_URN)]),
      id: z.string().regex(/^urn:[a-z0-9][a-z0-9-]{0,31}:\S+$/i, 'a URN'),
      name: nonEmpty,
      description: nonEmpty,
      attributes: z.array(attribute(context, false)).min(1),
      meta: meta('Schema', /\/Schemas\/[^/]+$/),
    })
    .superRefine((s, ctx) => {
      if (!String(s.meta?.location).endsWith(`/Schemas/${s.id}`)) {
        ctx.addIssue({ code: 'custom', message: 'meta.location is not /Schemas/<id>' });
      }
      const names = (Array.isArray(s.attributes) ? s.attributes : []).map((a) =>
        String(a?.name).toLowerCase(),
      );
      if (new Set(names).size !== names.length) {
        ctx.addIssue({ code: 'custom', message: 'an attribute is listed twice' });
      }
    }, whenAnObject);
}

/** §6: a ResourceType resource; `schemaIds` are the ids /Schemas serves. */
function resourceType(schemaIds: string[]) {
  const known = z.string().refine((id) => schemaIds.includes(id), 'a schema /Schemas serves');
  return z
    .strictObject({
      schemas: z.tuple([z.literal(RESOURCE_TYPE_URN)]),
      id: nonEmpty.optional(),
      name: nonEmpty,
      description: nonEmpty.optional(),
      endpoint: z.string().regex(/^\/\S+$/, 'a path relative to the base URL'),
      schema: known,
      schemaExtensions: z
        .array(z.strictObject({ schema: known, required: z.boolean() }))
        .optional(),
      meta: meta('ResourceType', /\/ResourceTypes\/[^/]+$/),
    })
    .superRefine((r, ctx) => {
      if (!String(r.meta?.location).endsWith(`/ResourceTypes/${r.id ?? r.name}`)) {
        ctx.addIssue({ code: 'custom', message: 'meta.location is not /ResourceTypes/<id>' });
      }
    }, whenAnObject);
}

const supported = z.strictObject({ supported: z.boolean() });
const count = z.number().int().min(0);

/** §5: ServiceProviderConfig, with §5's attributes and the common ones (§3.1) only. */
const serviceProviderConfig = z.strictObject({
  schemas: z.tuple([z.literal(SERVICE_PROVIDER_CONFIG_URN)]),
  documentationUri: z
    .string()
    .regex(/^https?:\/\//)
    .optional(),
  patch: supported,
  bulk: z.strictObject({
    supported: z.boolean(),
    maxOperations: count,
    maxPayloadSize: count,
  }),
  filter: z.strictObject({ supported: z.boolean(), maxResults: count }),
  changePassword: supported,
  sort: supported,
  etag: supported,
  authenticationSchemes: z
    .array(
      z.strictObject({
        type: z.enum(['oauth', 'oauth2', 'oauthbearertoken', 'httpbasic', 'httpdigest']),
        name: nonEmpty,
        description: nonEmpty,
        specUri: z
          .string()
          .regex(/^https?:\/\//)
          .optional(),
        documentationUri: z
          .string()
          .regex(/^https?:\/\//)
          .optional(),
        // §2.4: every multi-valued attribute may mark its primary value.
        primary: z.boolean().optional(),
      }),
    )
    .min(1),
  meta: meta('ServiceProviderConfig', /\/ServiceProviderConfig$/),
});

/** RFC 7644 §3.4.2: the ListResponse /Schemas and /ResourceTypes answer with. */
const listResponse = z
  .strictObject({
    schemas: z.tuple([z.literal(LIST_RESPONSE_URN)]),
    totalResults: count,
    startIndex: z.number().int().min(1).optional(),
    itemsPerPage: count.optional(),
    Resources: z.array(z.unknown()),
  })
  .superRefine((l, ctx) => {
    if (l.totalResults !== l.Resources?.length) {
      ctx.addIssue({ code: 'custom', message: 'totalResults differs from the Resources listed' });
    }
  }, whenAnObject);

function problems(result: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
}): string[] {
  if (result.success) return [];
  return result.error!.issues.map(
    (i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`,
  );
}

/** Runs `schema` on each document; the problems name the document they belong to. */
function each(label: (d: unknown) => string, schema: z.ZodType, documents: unknown[]) {
  return documents.flatMap((d) => problems(schema.safeParse(d)).map((p) => `${label(d)} ${p}`));
}

const idOf = (d: unknown) => JSON.stringify((d as { id?: unknown } | null)?.id ?? '?');

export function checkListResponse(body: unknown): string[] {
  return problems(listResponse.safeParse(body));
}

export function checkSchemas(documents: unknown[], context: RfcContext): string[] {
  return each(idOf, schemaResource(context), documents);
}

export function checkResourceTypes(documents: unknown[], schemaIds: string[]): string[] {
  return each(idOf, resourceType(schemaIds), documents);
}

export function checkServiceProviderConfig(document: unknown): string[] {
  return problems(serviceProviderConfig.safeParse(document));
}
