import type { AttributeDef, PatchSchema } from './patch/patch.js';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const GATEHOUSE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:gatehouse:2.0:User';
export const GATEHOUSE_GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:extension:gatehouse:2.0:Group';
export const ENTRA_GROUP_SCHEMA =
  'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group';
export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SEARCH_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

/** Where SCIM clients find this server: PUBLIC_URL/scim/v2. */
export function scimBaseUrl(publicUrl: string): string {
  return `${publicUrl}/scim/v2`;
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/**
 * An attribute as Gatehouse handles it (the PATCH engine reads the AttributeDef part) and as
 * /Schemas describes it: the RFC 7643 §7 characteristics, with §8.7.1's description texts.
 */
export interface ScimAttribute extends AttributeDef {
  description: string;
  subAttributes?: Record<string, ScimAttribute>;
  canonicalValues?: string[];
  /** Required for a reference: the resource types it may point at, or `external` / `uri`. */
  referenceTypes?: string[];
  /** Default `none`. */
  uniqueness?: 'none' | 'server' | 'global';
}

const str = (description: string, extra: Partial<ScimAttribute> = {}): ScimAttribute => ({
  type: 'string',
  description,
  ...extra,
});
const bool = (description: string): ScimAttribute => ({ type: 'boolean', description });
const ref = (
  description: string,
  referenceTypes: string[],
  extra: Partial<ScimAttribute> = {},
): ScimAttribute => ({ type: 'reference', referenceTypes, description, ...extra });
const complex = (
  description: string,
  subAttributes: Record<string, ScimAttribute>,
  extra: Partial<ScimAttribute> = {},
): ScimAttribute => ({ type: 'complex', description, subAttributes, ...extra });
const multiComplex = (
  description: string,
  subAttributes: Record<string, ScimAttribute>,
  extra: Partial<ScimAttribute> = {},
): ScimAttribute => complex(description, subAttributes, { multiValued: true, ...extra });

const DISPLAY = 'A human-readable name, primarily used for display purposes. READ-ONLY.';
const primary = (example?: string) =>
  bool(
    `A Boolean value indicating the 'primary' or preferred attribute value for this attribute${example ? `, e.g., ${example}` : ''}. The primary attribute value 'true' MUST appear no more than once.`,
  );
/** value, display, type and primary: the sub-attributes of RFC 7643's multi-valued attributes (§2.4). */
const typedValue = (
  value: ScimAttribute,
  type: ScimAttribute,
  primaryExample?: string,
): Record<string, ScimAttribute> => ({
  value,
  display: str(DISPLAY),
  type,
  primary: primary(primaryExample),
});
const FUNCTION_LABEL = "A label indicating the attribute's function.";
const EMAILS =
  "Email addresses for the user. The value SHOULD be canonicalized by the service provider, e.g., 'bjensen@example.com' instead of 'bjensen@EXAMPLE.COM'. Canonical type values of 'work', 'home', and 'other'.";
const ROLE_VALUE =
  "The member's role in the workspace: 'admin' (exactly; 'Admin' is not) makes the member an admin of the workspace; any other value, or none, a member.";

/** RFC 7643 §4.1 User, as far as Gatehouse keeps it (everything is stored and returned). */
export const USER_ATTRIBUTES: Record<string, ScimAttribute> = {
  userName: str(
    "Unique identifier for the User, typically used by the user to directly authenticate to the service provider. Each User MUST include a non-empty userName value. This identifier MUST be unique across the service provider's entire set of Users. REQUIRED.",
    { required: true, uniqueness: 'server' },
  ),
  name: complex(
    "The components of the user's real name. Providers MAY return just the full name as a single string in the formatted sub-attribute, or they MAY return just the individual component attributes using the other sub-attributes, or they MAY return both. If both variants are returned, they SHOULD be describing the same name, with the formatted name indicating how the component attributes should be combined.",
    {
      formatted: str(
        "The full name, including all middle names, titles, and suffixes as appropriate, formatted for display (e.g., 'Ms. Barbara J Jensen, III').",
      ),
      familyName: str(
        "The family name of the User, or last name in most Western languages (e.g., 'Jensen' given the full name 'Ms. Barbara J Jensen, III').",
      ),
      givenName: str(
        "The given name of the User, or first name in most Western languages (e.g., 'Barbara' given the full name 'Ms. Barbara J Jensen, III').",
      ),
      middleName: str(
        "The middle name(s) of the User (e.g., 'Jane' given the full name 'Ms. Barbara J Jensen, III').",
      ),
      honorificPrefix: str(
        "The honorific prefix(es) of the User, or title in most Western languages (e.g., 'Ms.' given the full name 'Ms. Barbara J Jensen, III').",
      ),
      honorificSuffix: str(
        "The honorific suffix(es) of the User, or suffix in most Western languages (e.g., 'III' given the full name 'Ms. Barbara J Jensen, III').",
      ),
    },
  ),
  displayName: str(
    'The name of the User, suitable for display to end-users. The name SHOULD be the full name of the User being described, if known.',
  ),
  nickName: str(
    "The casual way to address the user in real life, e.g., 'Bob' or 'Bobby' instead of 'Robert'. This attribute SHOULD NOT be used to represent a User's username (e.g., 'bjensen' or 'mpepperidge').",
  ),
  profileUrl: ref(
    "A fully qualified URL pointing to a page representing the User's online profile.",
    ['external'],
  ),
  title: str('The user\'s title, such as "Vice President."'),
  userType: str(
    "Used to identify the relationship between the organization and the user. Typical values used might be 'Contractor', 'Employee', 'Intern', 'Temp', 'External', and 'Unknown', but any value may be used.",
  ),
  preferredLanguage: str(
    "Indicates the User's preferred written or spoken language. Generally used for selecting a localized user interface; e.g., 'en_US' specifies the language English and country US.",
  ),
  locale: str(
    "Used to indicate the User's default location for purposes of localizing items such as currency, date time format, or numerical representations.",
  ),
  timezone: str(
    "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'.",
  ),
  active: bool("A Boolean value indicating the User's administrative status."),
  password: str(
    "The User's cleartext password. This attribute is intended to be used as a means to specify an initial password when creating a new User or to reset an existing User's password.",
    { mutability: 'writeOnly' },
  ),
  emails: multiComplex(
    EMAILS,
    typedValue(
      str(EMAILS),
      str("A label indicating the attribute's function, e.g., 'work' or 'home'.", {
        canonicalValues: ['work', 'home', 'other'],
      }),
      'the preferred mailing address or primary email address',
    ),
  ),
  phoneNumbers: multiComplex(
    "Phone numbers for the User. The value SHOULD be canonicalized by the service provider according to the format specified in RFC 3966, e.g., 'tel:+1-201-555-0123'. Canonical type values of 'work', 'home', 'mobile', 'fax', 'pager', and 'other'.",
    typedValue(
      str('Phone number of the User.'),
      str("A label indicating the attribute's function, e.g., 'work', 'home', 'mobile'.", {
        canonicalValues: ['work', 'home', 'mobile', 'fax', 'pager', 'other'],
      }),
      'the preferred phone number or primary phone number',
    ),
  ),
  ims: multiComplex(
    'Instant messaging addresses for the User.',
    typedValue(
      str('Instant messaging address for the User.'),
      str("A label indicating the attribute's function, e.g., 'aim', 'gtalk', 'xmpp'.", {
        canonicalValues: ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo'],
      }),
      'the preferred messenger or primary messenger',
    ),
  ),
  photos: multiComplex(
    'URLs of photos of the User.',
    typedValue(
      ref('URL of a photo of the User.', ['external']),
      str("A label indicating the attribute's function, i.e., 'photo' or 'thumbnail'.", {
        canonicalValues: ['photo', 'thumbnail'],
      }),
      'the preferred photo or thumbnail',
    ),
  ),
  addresses: multiComplex(
    "A physical mailing address for this User. Canonical type values of 'work', 'home', and 'other'. This attribute is a complex type with the following sub-attributes.",
    {
      formatted: str(
        'The full mailing address, formatted for display or use with a mailing label. This attribute MAY contain newlines.',
      ),
      streetAddress: str(
        'The full street address component, which may include house number, street name, P.O. box, and multi-line extended street address information. This attribute MAY contain newlines.',
      ),
      locality: str('The city or locality component.'),
      region: str('The state or region component.'),
      postalCode: str('The zip code or postal code component.'),
      country: str('The country name component.'),
      type: str("A label indicating the attribute's function, e.g., 'work' or 'home'.", {
        canonicalValues: ['work', 'home', 'other'],
      }),
      primary: primary('the preferred mailing address'),
    },
  ),
  groups: multiComplex(
    'A list of groups to which the user belongs, either through direct membership, through nested groups, or dynamically calculated.',
    // RFC 7643 §8.7.1: each sub-attribute readOnly, as the attribute is.
    {
      value: str("The identifier of the User's group.", { mutability: 'readOnly' }),
      display: str(DISPLAY, { mutability: 'readOnly' }),
      type: str("A label indicating the attribute's function, e.g., 'direct' or 'indirect'.", {
        canonicalValues: ['direct', 'indirect'],
        mutability: 'readOnly',
      }),
      $ref: ref(
        "The URI of the corresponding 'Group' resource to which the user belongs.",
        ['Group'],
        { mutability: 'readOnly' },
      ),
    },
    { mutability: 'readOnly' },
  ),
  entitlements: multiComplex(
    'A list of entitlements for the User that represent a thing the User has.',
    typedValue(str('The value of an entitlement.'), str(FUNCTION_LABEL)),
  ),
  roles: multiComplex(
    "A list of roles for the User that collectively represent who the User is, e.g., 'Student', 'Faculty'. A role whose value is 'admin' (exactly), or a JSON object whose \"value\" is 'admin' as Microsoft Entra ID sends app roles, makes the member an admin of the workspace.",
    typedValue(str('The value of a role.'), str(FUNCTION_LABEL)),
  ),
  x509Certificates: multiComplex(
    'A list of certificates issued to the User.',
    typedValue(str('The value of an X.509 certificate.'), str(FUNCTION_LABEL)),
  ),
  /** Okta custom attribute for the admin role, sent at the top level. */
  role: str(`${ROLE_VALUE} Okta sends it as a custom attribute of the User.`, {
    caseExact: true,
  }),
};

export const ENTERPRISE_USER_ATTRIBUTES: Record<string, ScimAttribute> = {
  employeeNumber: str(
    'Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization.',
  ),
  costCenter: str('Identifies the name of a cost center.'),
  organization: str('Identifies the name of an organization.'),
  division: str('Identifies the name of a division.'),
  department: str('Identifies the name of a department.'),
  manager: complex(
    "The User's manager. A complex type that optionally allows service providers to represent organizational hierarchy by referencing the 'id' attribute of another User.",
    {
      value: str("The id of the SCIM resource representing the User's manager. REQUIRED."),
      $ref: ref("The URI of the SCIM resource representing the User's manager. REQUIRED.", [
        'User',
      ]),
      // RFC 7643 §4.3: "OPTIONAL and READ-ONLY" (§8.7.1: mutability readOnly). A value sent
      // inside manager is ignored (RFC 7644 §3.5.1); a PATCH naming it is mutability.
      displayName: str("The displayName of the User's manager. OPTIONAL and READ-ONLY.", {
        mutability: 'readOnly',
      }),
    },
  ),
};

export const GATEHOUSE_USER_ATTRIBUTES: Record<string, ScimAttribute> = {
  role: str(ROLE_VALUE, { caseExact: true }),
};

export const GROUP_ATTRIBUTES: Record<string, ScimAttribute> = {
  displayName: str('A human-readable name for the Group. REQUIRED.', {
    required: true,
    uniqueness: 'server',
  }),
  members: {
    ...multiComplex('A list of members of the Group.', {
      // RFC 7643 §8.7.1: a member's value and $ref are immutable.
      value: str('Identifier of the member of this Group.', { mutability: 'immutable' }),
      display: str(DISPLAY),
      type: str("A label indicating the type of resource, e.g., 'User' or 'Group'.", {
        canonicalValues: ['User', 'Group'],
      }),
      $ref: ref(
        'The URI corresponding to a SCIM resource that is a member of this Group.',
        ['User', 'Group'],
        { mutability: 'immutable' },
      ),
    }),
    deltaOnly: true,
  },
};

export const GATEHOUSE_GROUP_ATTRIBUTES: Record<string, ScimAttribute> = {
  role: str(
    "The role the group gives its members in the workspace: 'admin' (exactly; 'Admin' is not) makes every member an admin; any other value, or none, gives no role.",
    { caseExact: true },
  ),
};

export const USER_PATCH_SCHEMA: PatchSchema = {
  coreSchemaUrn: USER_SCHEMA,
  extensionUrns: [ENTERPRISE_USER_SCHEMA, GATEHOUSE_USER_SCHEMA],
  attributes: USER_ATTRIBUTES,
  extensions: {
    [ENTERPRISE_USER_SCHEMA]: ENTERPRISE_USER_ATTRIBUTES,
    [GATEHOUSE_USER_SCHEMA]: GATEHOUSE_USER_ATTRIBUTES,
  },
};

export const GROUP_PATCH_SCHEMA: PatchSchema = {
  coreSchemaUrn: GROUP_SCHEMA,
  extensionUrns: [GATEHOUSE_GROUP_SCHEMA, ENTRA_GROUP_SCHEMA],
  attributes: GROUP_ATTRIBUTES,
  extensions: {
    [GATEHOUSE_GROUP_SCHEMA]: GATEHOUSE_GROUP_ATTRIBUTES,
    [ENTRA_GROUP_SCHEMA]: {},
  },
};
