/**
 * `name` and `displayName` of every User resource: Okta's import and profile need
 * name.givenName and name.familyName on each user it lists, and members made by hand, by invite
 * or just in time have only a full name (or none). What SCIM stored wins, sub-attribute by
 * sub-attribute; the rest is derived from the full name, else the email's local part:
 * - the last word is the family name and the words before it the given name
 *   ("Grace Brewster Hopper": "Grace Brewster" + "Hopper");
 * - a name of one word is both the given and the family name ("Cher": "Cher" + "Cher"), since
 *   Okta refuses an empty one;
 * - with no name, the email's local part is the name, as one word ("ada.l@x.test": "ada.l").
 * store/users.table.ts derives the same values in SQL, so filters and sorting see what a GET
 * shows.
 */
type Json = Record<string, unknown>;

/** A string with something besides whitespace in it, as it was given. */
function filled(value: unknown): string | undefined {
  return typeof value === 'string' && /\S/.test(value) ? value : undefined;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function userNames(
  email: string,
  fullName: string | null,
  data: Json,
): { name: Json; displayName: string } {
  const stored = isObject(data.name) ? data.name : {};
  const base = (
    filled(stored.formatted) ??
    filled(fullName) ??
    filled(data.displayName) ??
    email.slice(0, email.lastIndexOf('@'))
  ).trim();
  return {
    name: {
      ...stored,
      formatted: filled(stored.formatted) ?? base,
      familyName: filled(stored.familyName) ?? /\S+$/.exec(base)?.[0] ?? base,
      givenName: filled(stored.givenName) ?? base.replace(/\s+\S+$/, ''),
    },
    displayName: filled(data.displayName) ?? filled(fullName) ?? base,
  };
}
