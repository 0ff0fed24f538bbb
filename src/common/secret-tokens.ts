import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A URL-safe random token of `bytes` bytes (default 32 = 256 bits). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * The keyed digest stored in place of a bearer secret (session, invite, SCIM token). Keyed with
 * SECRET_KEY so a copy of the database alone cannot be used to check guesses. New digests are
 * always made with the current key.
 */
export function tokenDigest(secretKey: string, token: string): string {
  return createHmac('sha256', secretKey).update(token).digest('base64url');
}

/**
 * The token's digest under each key, current key first: what a lookup matches (`token_hash =
 * ANY($1::text[])`) so that digests made before a SECRET_KEY rotation (SECRET_KEY_PREVIOUS) are
 * still recognised, in one indexed statement.
 */
export function tokenDigests(keys: SecretKeys, token: string): string[] {
  return [keys.secretKey, ...keys.previousSecretKeys].map((key) => tokenDigest(key, token));
}

/** The current secret key and the previous ones still accepted (AppConfig has both). */
export interface SecretKeys {
  secretKey: string;
  previousSecretKeys: readonly string[];
}

/** Constant-time string comparison that does not leak the length through an early return. */
export function safeEqual(a: string, b: string): boolean {
  const left = createHmac('sha256', 'compare').update(a).digest();
  const right = createHmac('sha256', 'compare').update(b).digest();
  return timingSafeEqual(left, right);
}

/**
 * Whether `candidate` is one of `accepted` (a current token and the previous ones of a rotation),
 * comparing with every one in constant time: no early return tells which matched or how many.
 */
export function safeEqualAny(candidate: string, accepted: readonly string[]): boolean {
  let found = false;
  for (const value of accepted) found = safeEqual(candidate, value) || found;
  return found;
}
