import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A URL-safe random token of `bytes` bytes (default 32 = 256 bits). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * The keyed digest stored in place of a bearer secret (session, invite). Keyed with SECRET_KEY so
 * a copy of the database alone cannot be used to check guesses; rotating the key ends them all.
 */
export function tokenDigest(secretKey: string, token: string): string {
  return createHmac('sha256', secretKey).update(token).digest('base64url');
}

/** Constant-time string comparison that does not leak the length through an early return. */
export function safeEqual(a: string, b: string): boolean {
  const left = createHmac('sha256', 'compare').update(a).digest();
  const right = createHmac('sha256', 'compare').update(b).digest();
  return timingSafeEqual(left, right);
}
